// Does a chat text on the main data channel wait behind file chunks queued on
// the bulk channel (PROTOCOL.md §10.3)? Two processes, one @roamhq/wrtc
// connection between them with the mesh's two negotiated channels (main id 0,
// bulk id 100). The sender keeps the bulk channel's bufferedAmount near a mark
// (one 15.6 KiB chunk message a turn while under it, a 2 ms poll above, as the
// outbound queue's bulk lane) — or, with `same`, puts the chunks on the main
// channel — and sends a timestamped chat text on the main channel every 20 ms;
// the receiver reports the chat latency p50 / p90 and the chunk throughput.
//
//   npx tsx bench/tools/bulk-channel-chat.ts [bulk|same] [mark bytes] [seconds]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import wrtc from '@roamhq/wrtc';

interface Rtc {
  RTCPeerConnection: new () => RTCPeerConnection;
}
type Message =
  | { offer: RTCSessionDescriptionInit }
  | { answer: RTCSessionDescriptionInit }
  | { candidate: RTCIceCandidateInit }
  | { done: number }
  | { result: Record<string, number> };

const [role = 'sender', mode = 'bulk', markArg = String(1024 * 1024), secondsArg = '4'] =
  process.argv[2] === 'receiver' ? process.argv.slice(2) : ['sender', ...process.argv.slice(2)];
const MARK = Number(markArg);
const SECONDS = Number(secondsArg);
const CHUNK_MESSAGE_BYTES = 15 * 1024 + 600;
const CHAT_EVERY_MS = 20;
const wallNow = (): number => performance.timeOrigin + performance.now();

const pc = new (wrtc as unknown as Rtc).RTCPeerConnection();
const main = pc.createDataChannel('main', { negotiated: true, id: 0 });
const bulk = pc.createDataChannel('bulk', { negotiated: true, id: 100 });
main.binaryType = 'arraybuffer';
bulk.binaryType = 'arraybuffer';
const open = (ch: RTCDataChannel): Promise<void> =>
  new Promise((resolve) => (ch.readyState === 'open' ? resolve() : (ch.onopen = () => resolve())));

const candidateOf = (c: RTCIceCandidate): RTCIceCandidateInit => ({
  candidate: c.candidate,
  sdpMid: c.sdpMid,
  sdpMLineIndex: c.sdpMLineIndex,
});

if (role === 'sender') {
  const child = fork(fileURLToPath(import.meta.url), ['receiver', mode, markArg, secondsArg], {
    execArgv: process.execArgv,
  });
  const tell = (m: Message): void => void child.send(m);
  pc.onicecandidate = (e) => e.candidate && tell({ candidate: candidateOf(e.candidate) });
  child.on('message', (m: Message) => {
    if ('answer' in m) void pc.setRemoteDescription(m.answer);
    if ('candidate' in m) void pc.addIceCandidate(m.candidate);
    if ('result' in m) {
      console.log(JSON.stringify({ mode, mark: MARK, ...m.result }));
      child.kill();
      process.exit(0);
    }
  });
  await pc.setLocalDescription(await pc.createOffer());
  tell({ offer: { type: 'offer', sdp: pc.localDescription?.sdp ?? '' } });
  await Promise.all([open(main), open(bulk)]);
  await new Promise((r) => setTimeout(r, 300));
  const ch = mode === 'same' ? main : bulk;
  const end = Date.now() + SECONDS * 1000;
  let sent = 0;
  const top = (): void => {
    if (Date.now() > end) return;
    if (ch.bufferedAmount + CHUNK_MESSAGE_BYTES <= MARK) {
      ch.send(new Uint8Array(CHUNK_MESSAGE_BYTES));
      sent += 1;
      setImmediate(top);
    } else setTimeout(top, 2);
  };
  top();
  const chat = setInterval(() => {
    if (Date.now() <= end) return main.send(String(wallNow()));
    clearInterval(chat);
    setTimeout(() => tell({ done: sent }), 1_500);
  }, CHAT_EVERY_MS);
} else {
  const tell = (m: Message): void => void process.send?.(m);
  pc.onicecandidate = (e) => e.candidate && tell({ candidate: candidateOf(e.candidate) });
  const latencies: number[] = [];
  let bytes = 0;
  let first = 0;
  let last = 0;
  const onMessage = (e: MessageEvent): void => {
    if (typeof e.data === 'string') {
      latencies.push(wallNow() - Number(e.data));
      return;
    }
    first ||= wallNow();
    last = wallNow();
    bytes += (e.data as ArrayBuffer).byteLength;
  };
  main.onmessage = onMessage;
  bulk.onmessage = onMessage;
  process.on('message', (m: Message) => {
    if ('offer' in m)
      void (async () => {
        await pc.setRemoteDescription(m.offer);
        await pc.setLocalDescription(await pc.createAnswer());
        tell({ answer: { type: 'answer', sdp: pc.localDescription?.sdp ?? '' } });
      })();
    if ('candidate' in m) void pc.addIceCandidate(m.candidate);
    if ('done' in m) {
      const sorted = latencies.sort((a, b) => a - b);
      const q = (p: number): number =>
        Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(2));
      const mibPerSec = bytes / (1024 * 1024) / ((last - first) / 1000);
      tell({
        result: {
          chats: sorted.length,
          p50: q(0.5),
          p90: q(0.9),
          mibPerSec: Number(mibPerSec.toFixed(1)),
          chunks: m.done,
        },
      });
    }
  });
}

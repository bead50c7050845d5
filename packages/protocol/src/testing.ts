// @chorus/protocol/testing: test doubles over the real code, for tests in
// and outside this package. EngineMesh runs ordering engines over a
// hand-driven network (ordering/testing/engine-mesh.ts); CoreMesh does the
// same for whole session cores (session/testing/core-mesh.ts).

export { EngineMesh, GROUP, makeView, peer, type RejectionRecord } from './ordering/testing/engine-mesh.ts';
export { joinerAsking } from './session/testing/sponsor-pick.ts';
export { CORE_GROUP, CoreMesh, CoreNode, coreView, memberInfo, type InFlight } from './session/testing/core-mesh.ts';

export { compareRows, loadCases, type ModelCase } from "./cases.ts";
export { type DataTest, dataTestsFor, parseAssertFile } from "./data-tests.ts";
export { diffRows, formatDiff, type PartitionDiff, type RelationDiff } from "./diff.ts";
export { clickhouseSqlEngine, duckdbSqlEngine, type SqlEngine } from "./engine.ts";
export { createTestEngines } from "./engines.ts";
export { describeLineage } from "./lineage.ts";
export { type Dialect, type Layer, type Model, parseModel, referencedRelations } from "./model.ts";
export { loadProject, type SqlProject } from "./project.ts";
export { type TestResult, testProject } from "./test-runner.ts";

/**
 * @module veil/jobs
 *
 * Every job kind as one typed function `(spec, context) → result`, below the faces: the CLI parses flags or a
 * config file into the job's spec, calls the job and renders its result; the HTTP service (later) will parse a
 * request body into the same spec. A spec is one zod schema per job kind; the context carries the ledger, the
 * principal, the randomness, progress and cancellation. Privacy is charged here, once per job, after every check
 * that can fail.
 *
 * @example
 * import { ledgerAt, parseSpec, runTrainJob, TrainSpecSchema } from 'veil/jobs';
 * const spec = parseSpec(TrainSpecSchema, { data: { kind: 'csv', path: 'adult.csv', label: 'income' },
 *   privacy: { epsilon: 3, publicSize: 30000 } }, 'training spec');
 * const { summary } = await runTrainJob(spec, { ledger: ledgerAt('sqlite:veil.db'), principal: 'alice',
 *   progress: () => {} });
 */

export {
  type CleanroomDemoSpec,
  type CleanroomDemoSummary,
  runCleanroomDemoJob,
} from './cleanroom/demo.js';
export { ensureRoomAccount, roomAccount, roomEngine } from './cleanroom/engine.js';
export {
  type CleanroomServeSpec,
  type RunningRoom,
  readRuntimeConfig,
  runCleanroomServeJob,
  startRoom,
} from './cleanroom/serve.js';
export { parseRuntimeConfig, type RuntimeConfigInput, RuntimeConfigSchema } from './cleanroom/spec.js';
export {
  type Charge,
  type ChargeRequest,
  checkCancelled,
  defaultCharge,
  type JobContext,
  type JobEvent,
  jobRng,
  type LedgerAccess,
  type LedgerAtOptions,
  ledgerAt,
  ledgerUrl,
  sharedLedger,
} from './context.js';
export { globalAccuracy } from './demo/baselines.js';
export {
  DEMO_ORGANISATIONS,
  DEMO_SETTINGS,
  type DemoRound,
  type DemoRun,
  type DemoSettings,
  demoData,
  demoFederation,
  runInProcess,
} from './demo/federation.js';
export { PROCESSES_TRANSPORT, runInProcesses } from './demo/processes.js';
export {
  type DemoEvent,
  type DemoJobContext,
  type DemoJobResult,
  type DemoSummary,
  runDemoJob,
} from './demo/run.js';
export { type DemoSpec, type DemoSpecInput, DemoSpecSchema, demoSeedIssue } from './demo/spec.js';
export { type LedgerBudgetOptions, ledgerBudget } from './federation/budget.js';
export {
  type CoordinatorFile,
  CoordinatorFileSchema,
  LocalPrivacySchema,
  NodeDataSchema,
  type NodeFile,
  NodeFileSchema,
  PersonalizationSchema,
  parseCoordinatorFile,
  parseNodeFile,
  parseSimulateFile,
  resolvePath,
  type SimulateFile,
  SimulateFileSchema,
  SimulationLocalPrivacySchema,
} from './federation/config.js';
export {
  type CoordinatorJobHooks,
  type CoordinatorJobOptions,
  type CoordinatorJobResult,
  coordinatorLedgerUrl,
  modelPrivacy,
  runCoordinatorJob,
} from './federation/coordinator.js';
export {
  type CoordinatorJobSpec,
  CoordinatorLedgerSchema,
  parseCoordinatorJobSpec,
} from './federation/coordinator-spec.js';
export {
  DEFAULT_NODE_ACCOUNT,
  loadNodeData,
  type NodeJobResult,
  nodeLedgerUrl,
  runNodeJob,
} from './federation/node.js';
export { type PrepaidCharge, type PrepaidPlan, prepaidPlan } from './federation/prepaid.js';
export {
  runSimulationJob,
  type SimulationBudgetOptions,
  type SimulationJobResult,
  type SimulationPlan,
  simulationBudgets,
} from './federation/simulate.js';
export {
  parseSimulateJobSpec,
  type SimulateJobSpec,
  SimulateLedgerSchema,
  type SimulateOptions,
  type SimulateOptionsInput,
  SimulateOptionsSchema,
  simulationPlanFrom,
  simulationPlanFromFile,
} from './federation/simulate-spec.js';
export { bytesPerRound, coordinatorJson, coordinatorLine, neighbouringOf } from './federation/summary.js';
export {
  asFieldError,
  modelFitError,
  type ParamField,
  underFields,
  unreachableTargetError,
  withoutPrefix,
} from './input-errors.js';
export {
  type AuditShowResult,
  type InclusionProof,
  runAuditExport,
  runAuditShow,
  runAuditVerify,
} from './ledger/audit.js';
export {
  type LedgerJobContext,
  runBudgetAllocate,
  runBudgetCreate,
  runBudgetForecast,
  runBudgetShow,
  runBudgetSpend,
  type SpendRecord,
  spendEvents,
} from './ledger/budget.js';
export { runDatasetCheck, runDatasetList, runDatasetRegister } from './ledger/datasets.js';
export { runReport } from './ledger/report.js';
export {
  type AuditExportSpec,
  AuditExportSpecSchema,
  type AuditShowSpec,
  AuditShowSpecSchema,
  type AuditVerifySpec,
  AuditVerifySpecSchema,
  type BudgetAllocateSpec,
  BudgetAllocateSpecSchema,
  type BudgetCreateSpec,
  BudgetCreateSpecSchema,
  type BudgetForecastSpec,
  BudgetForecastSpecSchema,
  type BudgetShowSpec,
  BudgetShowSpecSchema,
  type BudgetSpendSpec,
  BudgetSpendSpecSchema,
  type DatasetCheckSpec,
  DatasetCheckSpecSchema,
  type DatasetRegisterSpec,
  DatasetRegisterSpecSchema,
  type ReportSpec,
  ReportSpecSchema,
} from './ledger/spec.js';
export {
  type GcPartySpec,
  GcPartySpecSchema,
  type GcRunResult,
  type GcRunSpec,
  GcRunSpecSchema,
  loadCircuitFile,
  runGcEvaluatorJob,
  runGcGarblerJob,
} from './mpc/gc.js';
export { runGcInProcesses, runGcJob } from './mpc/gc-processes.js';
export {
  type PsiPartyResult,
  type PsiPartySpec,
  PsiPartySpecSchema,
  type PsiRunResult,
  type PsiRunSpec,
  PsiRunSpecSchema,
  runPsiJob,
  runPsiPartyJob,
} from './mpc/psi.js';
export {
  ephemeralPki,
  joinOnce,
  parseListen,
  runVeilChild,
  serveOnce,
  type TlsFiles,
} from './mpc/two-party.js';
export {
  type PrivacyCalibrateResult,
  type PrivacyEpsilonResult,
  releaseEvent,
  runPrivacyCalibrate,
  runPrivacyEpsilon,
  runPrivacyMaxSteps,
} from './privacy/run.js';
export {
  type PrivacyCalibrateSpec,
  PrivacyCalibrateSpecSchema,
  type PrivacyEpsilonSpec,
  PrivacyEpsilonSpecSchema,
  type PrivacyMaxStepsSpec,
  PrivacyMaxStepsSpecSchema,
} from './privacy/spec.js';
export { parseSpec, readSpecFile, renameIssues } from './spec.js';
export {
  EVALUATION_NOTE,
  runSynthEvaluateJob,
  type SynthEvaluateResult,
  type SynthEvaluateSpec,
  type SynthEvaluateSpecInput,
  SynthEvaluateSpecSchema,
} from './synth/evaluate.js';
export {
  METHOD_NAMES,
  METHODS,
  type SynthMethod,
  type SynthMethodName,
  type SynthPlan,
} from './synth/methods.js';
export { runSynthJob, type SynthJobResult, type SynthLedgerRecord } from './synth/run.js';
export {
  type LoadedSynthModel,
  loadModelFile,
  parseModelFile,
  runSynthSampleJob,
  SYNTH_MODEL_FILE_FORMAT,
  type SynthModelFile,
  type SynthSampleResult,
} from './synth/sample.js';
export {
  type SynthSampleSpec,
  SynthSampleSpecSchema,
  type SynthSpec,
  type SynthSpecInput,
  SynthSpecSchema,
} from './synth/spec.js';
export { type LoadedData, loadTrainingData, readModelSpec } from './train/data.js';
export { runTrainJob, type TrainJobResult, type TrainLedgerRecord } from './train/run.js';
export {
  FASHION_MNIST_TRAIN_SIZE,
  resolveTrainSpecPaths,
  type TrainSpec,
  type TrainSpecInput,
  TrainSpecSchema,
} from './train/spec.js';
export { NOT_COVERED_BY_EPSILON, trainSummary } from './train/summary.js';
export {
  type ColumnEncoding,
  loadParty,
  type PartyData,
  type PartySpec,
  parsePartyFlag,
} from './vertical/data.js';
export {
  runVerticalParty,
  runVerticalPartyOverNetwork,
  type VerticalNetwork,
  type VerticalPartyOutcome,
  type VerticalPartySpec,
} from './vertical/party.js';
export { verticalPrivacy } from './vertical/privacy.js';
export { runVerticalTrainJob, type VerticalTrainResult } from './vertical/run.js';
export { VerticalPartySpecSchema, type VerticalTrainSpec, VerticalTrainSpecSchema } from './vertical/spec.js';

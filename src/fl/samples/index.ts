export {
  SAMPLES_PROTOCOL_VERSION,
  SampleCollector,
  type SampleCollectorOptions,
  type SampleRecord,
} from './collector.js';
export {
  type PlannedSamples,
  type SamplesClient,
  sampleTerms,
  sendSamples,
  termsProblem,
} from './submit.js';

/** The privacy calculators: pure functions of their parameters (no ledger, nothing stored). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  PrivacyCalibrateSpecSchema,
  PrivacyEpsilonSpecSchema,
  PrivacyMaxStepsSpecSchema,
  runPrivacyCalibrate,
  runPrivacyEpsilon,
  runPrivacyMaxSteps,
} from '../../jobs/index.js';

export function privacyRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['privacy'];
  r.post(
    '/v1/privacy/epsilon',
    {
      config: { access: 'privacy.calculate' },
      schema: {
        tags,
        summary: "A mechanism's or DP-SGD schedule's epsilon under an accountant",
        body: PrivacyEpsilonSpecSchema,
      },
    },
    async (req) => runPrivacyEpsilon(req.body),
  );
  r.post(
    '/v1/privacy/calibrate',
    {
      config: { access: 'privacy.calculate' },
      schema: {
        tags,
        summary: 'The noise needed for a target (epsilon, delta)',
        body: PrivacyCalibrateSpecSchema,
      },
    },
    async (req) => runPrivacyCalibrate(req.body),
  );
  r.post(
    '/v1/privacy/max-steps',
    {
      config: { access: 'privacy.calculate' },
      schema: {
        tags,
        summary: 'The most DP-SGD steps within a target epsilon',
        body: PrivacyMaxStepsSpecSchema,
      },
    },
    async (req) => runPrivacyMaxSteps(req.body),
  );
}

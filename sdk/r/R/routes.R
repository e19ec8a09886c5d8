# Each route of the service's API and the function of this package for it ("METHOD /path" as the service
# registers it): the same keys as ROUTES_COVERED of the TypeScript client (src/client/client.ts), which a test
# compares with the service's route registry. Left out, as there: /healthz, /readyz, /openapi.json and /docs
# (unauthenticated probes and the API description, for operators and tools). One `"KEY" = "value",` pair per
# line (a test parses this file); the closing NULL only lets every pair end with a comma.

#' The routes this client covers
#'
#' A named character vector: each route of the service (`"METHOD /path"`) and the name of this package's
#' function for it. `GET /v1/jobs/:id/events` is [veil_job_events()] (and [veil_wait_for_job()], which polls
#' it); `GET /v1/accounts/*` is [veil_get_account()] (and [veil_all_spends()]).
#' @export
routes_covered <- c(
  "GET /v1/me" = "veil_me",
  "GET /v1/org" = "veil_organisation",
  "GET /v1/principals" = "veil_list_principals",
  "POST /v1/principals" = "veil_create_principal",
  "GET /v1/principals/:id" = "veil_get_principal",
  "POST /v1/principals/:id/disable" = "veil_disable_principal",
  "GET /v1/keys" = "veil_list_keys",
  "POST /v1/keys" = "veil_create_key",
  "POST /v1/keys/:id/revoke" = "veil_revoke_key",
  "GET /v1/accounts" = "veil_list_accounts",
  "POST /v1/accounts" = "veil_create_account",
  "GET /v1/accounts/*" = "veil_get_account",
  "POST /v1/spends" = "veil_spend",
  "POST /v1/forecast" = "veil_forecast",
  "POST /v1/allocate" = "veil_allocate",
  "GET /v1/datasets" = "veil_list_datasets",
  "PUT /v1/datasets/:name/data" = "veil_upload_dataset",
  "POST /v1/datasets" = "veil_register_dataset",
  "GET /v1/audit/entries" = "veil_audit_entries",
  "GET /v1/audit/entries/:seq" = "veil_audit_entry",
  "GET /v1/audit/verify" = "veil_verify_audit",
  "GET /v1/audit/export" = "veil_export_audit",
  "GET /v1/reports/:regulation" = "veil_report",
  "POST /v1/privacy/epsilon" = "veil_privacy_epsilon",
  "POST /v1/privacy/calibrate" = "veil_privacy_calibrate",
  "POST /v1/privacy/max-steps" = "veil_privacy_max_steps",
  "POST /v1/jobs" = "veil_submit_job",
  "GET /v1/jobs" = "veil_list_jobs",
  "GET /v1/jobs/:id" = "veil_get_job",
  "POST /v1/jobs/:id/cancel" = "veil_cancel_job",
  "GET /v1/jobs/:id/events" = "veil_job_events",
  "GET /v1/jobs/:id/files/:name" = "veil_job_file",
  "GET /metrics" = "veil_metrics",
  "GET /v1/webhooks" = "veil_list_webhooks",
  "POST /v1/webhooks" = "veil_create_webhook",
  "POST /v1/webhooks/:id/disable" = "veil_disable_webhook",
  NULL
)

# Identity: the caller, its organisation, principals and API keys.

#' The caller
#'
#' `GET /v1/me`: the caller's organisation, principal, role, how it signed in and its key's scopes.
#' @param client A [veil_client()].
#' @return A list: `org`, `principalId`, `name`, `role`, `via` (`"api-key"` or `"oidc"`), `scopes` (`NULL` for all
#'   of the role's permissions).
#' @export
veil_me <- function(client) veil_get(client, "/v1/me")

#' The caller's organisation
#'
#' `GET /v1/org`.
#' @inheritParams veil_me
#' @return A list: `name`, `createdAt`.
#' @export
veil_organisation <- function(client) veil_get(client, "/v1/org")

#' Principals (people and systems with a role)
#'
#' `GET /v1/principals` (`principals.read`: admin, auditor).
#' @inheritParams veil_me
#' @return A data frame: `id`, `org`, `name`, `role`, `oidc` (list column), `createdAt`, `disabledAt`.
#' @export
veil_list_principals <- function(client) {
  records_df(veil_get(client, "/v1/principals")$principals,
             c("id", "org", "name", "role", "oidc", "createdAt", "disabledAt"))
}

#' Create a principal
#'
#' `POST /v1/principals` (admin). Sent once.
#' @inheritParams veil_me
#' @param name The principal's name (unique in the organisation).
#' @param role One of `"admin"`, `"data-steward"`, `"analyst"`, `"auditor"`.
#' @param oidc Optional `list(issuer = ..., subject = ...)`: the OIDC identity it signs in with.
#' @return The principal (a list: `id`, `org`, `name`, `role`, `oidc`, `createdAt`, `disabledAt`).
#' @export
veil_create_principal <- function(client, name, role, oidc = NULL) {
  veil_post(client, "/v1/principals", compact(list(name = name, role = role, oidc = oidc)))
}

#' One principal
#'
#' `GET /v1/principals/:id`.
#' @inheritParams veil_me
#' @param id The principal's id (`p_...`).
#' @return The principal (a list).
#' @export
veil_get_principal <- function(client, id) veil_get(client, paste0("/v1/principals/", seg(id)))

#' Disable a principal
#'
#' `POST /v1/principals/:id/disable` (admin): its keys stop at once; the last active administrator cannot be
#' disabled (409 `last_admin`).
#' @inheritParams veil_get_principal
#' @return The principal, with `disabledAt` set.
#' @export
veil_disable_principal <- function(client, id) {
  veil_post(client, paste0("/v1/principals/", seg(id), "/disable"))
}

#' API keys
#'
#' `GET /v1/keys` (admin): the organisation's keys, never the keys themselves.
#' @inheritParams veil_me
#' @return A data frame: `id`, `principalId`, `label`, `scopes` (list column), `expiresAt`, `revokedAt`,
#'   `createdAt`, `createdBy`.
#' @export
veil_list_keys <- function(client) {
  records_df(veil_get(client, "/v1/keys")$keys,
             c("id", "principalId", "label", "scopes", "expiresAt", "revokedAt", "createdAt", "createdBy"))
}

#' Create an API key
#'
#' `POST /v1/keys` (admin). The key is in the answer this once. Sent once.
#' @inheritParams veil_me
#' @param principal_id The principal the key signs in as (`p_...`).
#' @param label A label (optional).
#' @param scopes Permission names the key is limited to (optional; only narrower than the principal's role, 403
#'   `scope_not_allowed` otherwise).
#' @param expires_at An ISO 8601 time with an offset (optional), or a `POSIXct`.
#' @return A list: `apiKey` (the key, `veil_...`), `key` (the key's record).
#' @export
veil_create_key <- function(client, principal_id, label = NULL, scopes = NULL, expires_at = NULL) {
  if (inherits(expires_at, "POSIXt")) expires_at <- format(expires_at, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
  veil_post(client, "/v1/keys", compact(list(
    principalId = principal_id, label = label, scopes = as_array(scopes), expiresAt = expires_at
  )))
}

#' Revoke an API key
#'
#' `POST /v1/keys/:id/revoke` (admin).
#' @inheritParams veil_me
#' @param id The key's id (the `<id>` of `veil_<id>_<secret>`).
#' @return The key's record, with `revokedAt` set.
#' @export
veil_revoke_key <- function(client, id) veil_post(client, paste0("/v1/keys/", seg(id), "/revoke"))

# Budget accounts, spends, forecasts and allocations.

#' Budget accounts
#'
#' `GET /v1/accounts`: the organisation's accounts.
#' @inheritParams veil_me
#' @return A data frame: `path`, `parent`, `epsilonLimit`, `deltaLimit`, `accountant`, `createdAt`.
#' @export
veil_list_accounts <- function(client) {
  records_df(veil_get(client, "/v1/accounts")$accounts,
             c("path", "parent", "epsilonLimit", "deltaLimit", "accountant", "createdAt"))
}

#' Create a budget account
#'
#' `POST /v1/accounts` (admin, data steward). Sent once.
#' @inheritParams veil_me
#' @param account The account's path: the organisation's name or a path below it (`"acme"`, `"acme/ml"`); a
#'   parent must exist first.
#' @param epsilon The epsilon limit (> 0).
#' @param delta The delta limit, in (0, 1), e.g. `1e-5`.
#' @param accountant `"rdp"` (the service's default) or another of the ledger's accountants.
#' @return The account (a list: `path`, `parent`, `epsilonLimit`, `deltaLimit`, `accountant`, `createdAt`).
#' @export
veil_create_account <- function(client, account, epsilon, delta, accountant = NULL) {
  veil_post(client, "/v1/accounts",
            compact(list(account = account, epsilon = epsilon, delta = delta, accountant = accountant)))
}

account_url <- function(path) {
  paste0("/v1/accounts/", paste(vapply(strsplit(path, "/", fixed = TRUE)[[1]], seg, ""), collapse = "/"))
}

spend_columns <- c("id", "account", "purpose", "status", "events", "dataset", "actor", "createdAt",
                   "refundReason")

#' One page of an account's status and spends
#'
#' `GET /v1/accounts/<path>?limit&after`: the account's status and its subtree's spends, oldest first.
#' @inheritParams veil_me
#' @param path The account's path (`"acme/ml"`).
#' @param after Spends after this spend id (optional).
#' @param limit At most this many spends (1 - 1000; the service's default 1000).
#' @return A list: `status` (a list: `account`, `epsilonSpent`, `epsilonRemaining`, `spends`,
#'   `epsilonNaiveSum`), `spends` (a data frame: `id`, `account`, `purpose`, `status`, `events` (list column),
#'   `dataset`, `actor`, `createdAt`, `refundReason`), `next` (the `after` of the next page, `NULL` on the last).
#' @seealso [veil_all_spends()] walks every page.
#' @export
veil_get_account <- function(client, path, after = NULL, limit = NULL) {
  page <- veil_get(client, account_url(path), query = list(after = after, limit = limit))
  list(status = page$status, spends = records_df(page$spends, spend_columns), `next` = page[["next"]])
}

#' Every spend of an account's subtree
#'
#' Follows `next` of `GET /v1/accounts/<path>` page after page.
#' @inheritParams veil_get_account
#' @param page_size Spends per request (1 - 1000).
#' @return A data frame of the spends, oldest first (the columns of [veil_get_account()]'s `spends`).
#' @export
veil_all_spends <- function(client, path, page_size = 1000, after = NULL) {
  pages <- list()
  repeat {
    page <- veil_get(client, account_url(path), query = list(after = after, limit = page_size))
    pages[[length(pages) + 1L]] <- page$spends
    if (is.null(page[["next"]])) break
    after <- page[["next"]]
  }
  records_df(do.call(c, pages), spend_columns)
}

#' Spend budget on a release made outside Veil
#'
#' `POST /v1/spends` (admin, data steward). Sent once: never retried (a second try could spend twice).
#' @inheritParams veil_me
#' @param account The account charged.
#' @param release What was released: `list(kind = "epsilon-delta", epsilon = 0.5, delta = 1e-6)`, or
#'   `list(kind = "events", events = list(...))` (privacy events composed exactly by the account's accountant).
#' @param purpose Why the budget is spent (recorded).
#' @param dataset A registered dataset whose consent terms must allow the purpose (optional).
#' @return A list: `receipt` (`id`, `account`, `purpose`, `epsilonAfter`, `createdAt`) and `status`. A spend the
#'   account or an ancestor cannot pay is 409 `budget_exceeded`.
#' @export
veil_spend <- function(client, account, release, purpose, dataset = NULL) {
  veil_post(client, "/v1/spends",
            compact(list(account = account, release = release, purpose = purpose, dataset = dataset)))
}

#' Forecast an account's budget
#'
#' `POST /v1/forecast`: the burn-down of the account and when it runs out if the last `window` spends repeat.
#' Computes only: safe to retry.
#' @inheritParams veil_me
#' @param account The account.
#' @param window How many of the last granted spends set the pattern (2 - 100000; default 10).
#' @return A list: `account`, `epsilonSpent`, `epsilonRemaining`, `burnDown` (a data frame: `id`, `account`,
#'   `purpose`, `createdAt`, `epsilon`, `epsilonAfter`, `naiveSumAfter`), `projection`.
#' @export
veil_forecast <- function(client, account, window = NULL) {
  out <- veil_compute(client, "/v1/forecast", compact(list(account = account, window = window)))
  out$burnDown <- records_df(out$burnDown)
  out
}

#' Split an account's remaining budget across planned jobs
#'
#' `POST /v1/allocate`. Computes only: safe to retry.
#' @inheritParams veil_me
#' @param account The account.
#' @param jobs The planned jobs, all of one kind: a list of lists, e.g.
#'   `list(list(kind = "dp-sgd", name = "a", sampleRate = 0.01, steps = 2000, weight = 1))` or
#'   `list(list(kind = "epsilon-delta", delta = 1e-7, weight = 3))`; or a data frame with one row per job.
#' @return A list: `account`, `mode`, `scale`, `jobs` (a data frame: `name`, `kind`, `weight`, `noiseMultiplier`
#'   or `epsilon`, `events` (list column)), `accounts` (a data frame: `path`, `limit`, `epsilonAfter`),
#'   `binding`.
#' @export
veil_allocate <- function(client, account, jobs) {
  if (is.data.frame(jobs)) jobs <- lapply(seq_len(nrow(jobs)), function(i) df_row(jobs, i))
  out <- veil_compute(client, "/v1/allocate", list(account = account, jobs = as_array(jobs)))
  out$jobs <- records_df(out$jobs)
  out$accounts <- records_df(out$accounts)
  out
}

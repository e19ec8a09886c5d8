# The client object, the route table, and how bodies and answers are encoded; no service needed.

test_that("veil_client checks its URL and credential and hides the credential", {
  expect_error(veil_client("localhost:8080", api_key = "veil_x"), "http\\(s\\) URL")
  expect_error(veil_client("ftp://x", api_key = "veil_x"), "http\\(s\\) URL")
  expect_error(veil_client("http://127.0.0.1:1", api_key = ""), "API key")
  c <- veil_client("http://127.0.0.1:1/", api_key = "veil_secret_value", timeout = 5, retries = 1)
  expect_s3_class(c, "veil_client")
  expect_equal(c$base_url, "http://127.0.0.1:1")
  expect_false(any(grepl("veil_secret_value", capture.output(print(c)))))
  expect_false(any(grepl("veil_secret_value", capture.output(str(unclass(c)[c("base_url", "timeout")])))))
  # a token replaces the key
  t <- veil_client("https://veil.example", api_key = "veil_a", token = "eyJ.token")
  expect_equal(t$credential(), "eyJ.token")
})

test_that("every value of routes_covered is an exported function of the package", {
  expect_true(is.character(routes_covered) && length(routes_covered) > 30)
  ns <- asNamespace("veilclient")
  for (fn in routes_covered) {
    expect_true(exists(fn, envir = ns, mode = "function", inherits = FALSE), info = fn)
    expect_true(fn %in% getNamespaceExports("veilclient"), info = fn)
  }
  expect_equal(anyDuplicated(names(routes_covered)), 0)
})

test_that("routes_covered has exactly the routes of the TypeScript client's ROUTES_COVERED", {
  root <- repo_root()
  skip_if(is.null(root), "not inside the Veil repository")
  ts <- paste(readLines(file.path(root, "src", "client", "client.ts")), collapse = "\n")
  table <- regmatches(ts, regexpr("export const ROUTES_COVERED[^{]*\\{[^}]*\\}", ts))
  keys <- regmatches(table, gregexpr("'([A-Z]+ /[^']*)'", table))[[1]]
  keys <- gsub("'", "", keys)
  expect_gt(length(keys), 30)
  expect_setequal(names(routes_covered), keys)
  # one "KEY" = "value", pair per line in R/routes.R (read by a regex elsewhere)
  lines <- readLines(file.path(root, "sdk", "r", "R", "routes.R"))
  pairs <- regmatches(lines, regexpr('^\\s*"([A-Z]+ /[^"]*)" = "(veil_[a-z_]+)",\\s*$', lines))
  expect_length(pairs, length(routes_covered))
})

test_that("bodies keep arrays, drop absent fields and keep small numbers", {
  to_json <- veilclient:::to_json
  as_array <- veilclient:::as_array
  compact <- veilclient:::compact
  expect_equal(to_json(list(name = "adult", purposes = as_array("research"))),
               '{"name":"adult","purposes":["research"]}')
  expect_equal(to_json(compact(list(account = "acme", epsilon = 10, delta = 1e-5, accountant = NULL))),
               '{"account":"acme","epsilon":10,"delta":1e-05}')
  expect_equal(jsonlite::fromJSON(to_json(list(x = 1e-9, n = 30000, f = 1 / 3)))$f, 1 / 3, tolerance = 1e-14)
  expect_equal(to_json(list(shape = I(12))), '{"shape":[12]}')
})

test_that("records become data frames: scalars as columns, the rest as list columns", {
  records_df <- veilclient:::records_df
  df <- records_df(list(
    list(id = 1, name = "a", tags = list("x", "y"), parent = NULL),
    list(id = 2, name = "b", tags = list(), parent = "a")
  ))
  expect_equal(nrow(df), 2)
  expect_equal(df$id, c(1, 2))
  expect_equal(df$parent, c(NA, "a"))
  expect_equal(df$tags[[1]], list("x", "y"))
  empty <- records_df(list(), c("id", "name"))
  expect_equal(nrow(empty), 0)
  expect_equal(names(empty), c("id", "name"))
})

test_that("Retry-After is read as seconds or as an HTTP date", {
  ra <- veilclient:::retry_after_seconds
  expect_equal(ra("3"), 3)
  expect_null(ra(NULL))
  expect_null(ra("soon"))
  later <- format(Sys.time() + 30, "%a, %d %b %Y %H:%M:%S GMT", tz = "GMT")
  expect_true(ra(later) > 20 && ra(later) <= 31)
})

# Shared by the tests: clients of the live service (VEIL_URL) for each role, made once with the administrator's
# key (VEIL_API_KEY), and where the shared datasets are (VEIL_DATASETS).

veil_url <- function() Sys.getenv("VEIL_URL")
admin_client <- function(...) veil_client(veil_url(), api_key = Sys.getenv("VEIL_API_KEY"), ...)

# A name no earlier run or test used.
unique_name <- function(prefix) {
  paste0(prefix, "-", paste(sample(c(letters, 0:9), 8, replace = TRUE), collapse = ""))
}

.veil_clients <- new.env()

# A client signed in as a new principal of `role` (one per role, for the whole run).
client_as <- function(role) {
  if (is.null(.veil_clients[[role]])) {
    admin <- admin_client()
    p <- veil_create_principal(admin, unique_name(paste0("r-", role)), role)
    k <- veil_create_key(admin, p$id, label = paste("R SDK tests,", role))
    .veil_clients[[role]] <- veil_client(veil_url(), api_key = k$apiKey)
    attr(.veil_clients[[role]], "principal") <- p
  }
  .veil_clients[[role]]
}

# The account at `path`, created when it is not there yet (tests and the walk-through share the service).
ensure_account <- function(path, epsilon, delta = 1e-5) {
  admin <- admin_client()
  if (!path %in% veil_list_accounts(admin)$path) veil_create_account(admin, path, epsilon, delta)
  invisible(path)
}

org <- function() Sys.getenv("VEIL_ORG", "acme")

adult_csv <- function() file.path(Sys.getenv("VEIL_DATASETS"), "adult", "adult.csv")
adult_domain <- function() file.path(Sys.getenv("VEIL_DATASETS"), "adult", "adult-domain.json")
skip_if_no_adult <- function() {
  skip_if_not(nzchar(Sys.getenv("VEIL_DATASETS")) && file.exists(adult_csv()),
              "VEIL_DATASETS/adult/adult.csv is not there")
}

# The error a call raises (NULL when it raises none).
caught <- function(expr) tryCatch({ expr; NULL }, error = function(e) e)

# The repository's root (the directory with src/client/client.ts), or NULL when the SDK is used outside it.
repo_root <- function() {
  dir <- normalizePath(getwd())
  repeat {
    if (file.exists(file.path(dir, "src", "client", "client.ts")) && dir.exists(file.path(dir, "sdk", "r"))) {
      return(dir)
    }
    parent <- dirname(dir)
    if (parent == dir) return(NULL)
    dir <- parent
  }
}

# SHA-256 of raw bytes, hex, with whatever is installed: digest, openssl, or sha256sum; NULL with none.
sha256_hex <- function(bytes) {
  if (requireNamespace("digest", quietly = TRUE)) return(digest::digest(bytes, "sha256", serialize = FALSE))
  if (requireNamespace("openssl", quietly = TRUE)) return(as.character(openssl::sha256(bytes)))
  if (nzchar(Sys.which("sha256sum"))) {
    f <- tempfile()
    writeBin(bytes, f)
    on.exit(unlink(f))
    return(strsplit(system2("sha256sum", shQuote(f), stdout = TRUE), " ")[[1]][1])
  }
  NULL
}

# Refusals as veil_api_error conditions with the service's stable codes (against the live service), and the
# retry rules against a tiny scripted server (node, which the service needs anyway): reads, the upload and the
# calculators are retried through 429, 502-504 and network errors, honouring Retry-After; spends and job
# submissions are sent once.

test_that("the service's refusals carry status, code, message and request id", {
  analyst <- client_as("analyst")
  e <- caught(veil_create_principal(analyst, unique_name("x"), "admin"))
  expect_s3_class(e, c("veil_api_error", "error", "condition"))
  expect_equal(e$status, 403L)
  expect_equal(e$code, "forbidden")
  expect_match(e$request_id, "^r_")
  expect_true(veil_is_error(e))
  expect_true(veil_is_error(e, "forbidden"))
  expect_false(veil_is_error(e, "not_found"))
  expect_match(conditionMessage(e), "^POST /v1/principals: 403 forbidden: ")
  # caught by class
  got <- tryCatch(veil_get_principal(analyst, "p_00000000000000000000"), veil_api_error = function(e) e$code)
  expect_equal(got, "forbidden")
  e <- caught(veil_get_job(analyst, "j_00000000000000000000"))
  expect_equal(c(e$status, e$code), c(404L, "not_found"))
  e <- caught(veil_get_job(analyst, "not-a-job-id"))
  expect_equal(e$status, 400L)
  expect_equal(e$code, "bad_request")
  expect_match(e$message, "id")
  e <- caught(veil_create_account(admin_client(), paste0(org(), "/bad"), 1, 2))
  expect_equal(c(e$status, e$code), c(400L, "bad_request"))
  expect_match(e$message, "delta")
  e <- caught(veil_submit_job(analyst, "fly", list()))
  expect_equal(e$status, 400L)
  e <- caught(veil_me(veil_client(veil_url(), api_key = "veil_0000000000000000_wrong")))
  expect_equal(c(e$status, e$code), c(401L, "invalid_api_key"))
  e <- caught(veil_report(client_as("auditor"), "sox"))
  expect_equal(c(e$status, e$code), c(400L, "bad_request"))
})

test_that("a service that cannot be reached is code network_error, status 0", {
  c <- veil_client("http://127.0.0.1:1", api_key = "veil_x", retries = 1, base_delay = 0.01, timeout = 5)
  e <- caught(veil_me(c))
  expect_s3_class(e, "veil_api_error")
  expect_equal(e$status, 0L)
  expect_equal(e$code, "network_error")
  expect_true(is.na(e$request_id))
  expect_match(conditionMessage(e), "^GET /v1/me: network_error: the service at http://127.0.0.1:1 cannot be reached")
})

# ---- retries against a scripted server ----

fake_server_js <- '
const http = require("http"), fs = require("fs");
const hits = {};
const server = http.createServer((req, res) => {
  const parts = req.url.split("?")[0].split("/").filter(Boolean);
  if (parts[0] === "quit") { res.end("bye"); process.exit(0); }
  if (parts[0] === "hits") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ hits: hits[parts[1]] || [] }));
  }
  const id = parts[0], plan = (parts[1] || "").split(",").filter(Boolean);
  hits[id] = hits[id] || [];
  const step = plan[hits[id].length];
  hits[id].push(req.method);
  req.resume();
  if (step === "silent") return;
  const headers = { "content-type": "application/json", "x-request-id": "r_fake" };
  if (!step) { res.writeHead(200, headers); return res.end(JSON.stringify({ org: "acme" })); }
  if (step === "200text") { res.writeHead(200, { "content-type": "text/plain" }); return res.end("hello"); }
  if (step.endsWith("html")) {
    res.writeHead(Number(step.slice(0, 3)), { "content-type": "text/html" });
    return res.end("<html>bad gateway</html>");
  }
  const [status, retryAfter] = step.split("ra");
  if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
  res.writeHead(Number(status), headers);
  res.end(JSON.stringify({ error: { code: status === "429" ? "rate_limited" : "unavailable", message: "busy" } }));
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[2] + ".tmp", String(server.address().port)) ||
  fs.renameSync(process.argv[2] + ".tmp", process.argv[2]));
setTimeout(() => process.exit(0), 120000).unref();
'

start_fake <- function() {
  skip_if(!nzchar(Sys.which("node")), "node is not installed")
  js <- tempfile(fileext = ".js")
  port_file <- tempfile()
  writeLines(fake_server_js, js)
  system2(Sys.which("node"), c(shQuote(js), shQuote(port_file)), wait = FALSE, stdout = FALSE, stderr = "")
  for (i in 1:100) {
    if (file.exists(port_file)) break
    Sys.sleep(0.05)
  }
  skip_if(!file.exists(port_file), "the scripted server did not start")
  paste0("http://127.0.0.1:", readLines(port_file, warn = FALSE))
}

test_that("idempotent calls are retried with backoff; spends and submissions are sent once", {
  base <- start_fake()
  on.exit(try(httr2::req_perform(httr2::request(paste0(base, "/quit"))), silent = TRUE), add = TRUE)
  hits <- function(id) unlist(jsonlite::fromJSON(paste0(base, "/hits/", id))$hits)
  client <- function(id, plan, max_delay = 0.5, ...) {
    veil_client(paste0(base, "/", id, "/", plan), api_key = "veil_test", base_delay = 0.01, max_delay = max_delay,
                ...)
  }

  # a read answered 503 twice, then 200
  expect_equal(veil_me(client("a", "503,503")), list(org = "acme"))
  expect_equal(hits("a"), c("GET", "GET", "GET"))
  # 502 and 504 too
  expect_equal(veil_organisation(client("b", "502,504")), list(org = "acme"))
  expect_length(hits("b"), 3)
  # Retry-After is honoured, and a wait longer than max_delay is not waited for
  t0 <- Sys.time()
  expect_equal(veil_me(client("c", "429ra0")), list(org = "acme"))
  expect_equal(hits("c"), c("GET", "GET"))
  e <- caught(veil_me(client("d", "429ra60")))
  expect_equal(c(e$status, e$code, e$request_id), c("429", "rate_limited", "r_fake"))
  expect_equal(hits("d"), "GET")
  expect_lt(as.numeric(difftime(Sys.time(), t0, units = "secs")), 5)
  t0 <- Sys.time()
  veil_me(client("c2", "503ra1", max_delay = 2))
  expect_gte(as.numeric(difftime(Sys.time(), t0, units = "secs")), 0.9)
  # the last refusal after the retries run out (the first attempt and 3 retries)
  e <- caught(veil_me(client("e", paste(rep("503", 10), collapse = ","))))
  expect_equal(c(e$status, e$code), c(503L, "unavailable"))
  expect_length(hits("e"), 4)
  e <- caught(veil_me(client("e0", "503", retries = 0)))
  expect_length(hits("e0"), 1)
  # the upload (PUT) and the calculators are retried
  expect_equal(veil_upload_dataset(client("f", "503,429ra0"), "x", charToRaw("a\n1\n")), list(org = "acme"))
  expect_equal(hits("f"), c("PUT", "PUT", "PUT"))
  veil_privacy_max_steps(client("g", "503"), 1, 1e-5, 0.01, 1.1)
  expect_equal(hits("g"), c("POST", "POST"))
  # a spend, a job submission and an account creation are sent once
  e <- caught(veil_spend(client("h", "503"), "acme", list(kind = "epsilon-delta", epsilon = 1), "x"))
  expect_equal(c(e$status, e$method), c("503", "POST"))
  expect_equal(hits("h"), "POST")
  e <- caught(veil_submit_job(client("i", "502"), "train", list(epochs = 1)))
  expect_equal(e$status, 502L)
  expect_equal(hits("i"), "POST")
  caught(veil_create_account(client("j", "429ra0"), "acme", 1, 1e-5))
  expect_equal(hits("j"), "POST")
  # an answer that is not the API's JSON
  e <- caught(veil_cancel_job(client("k", "502html"), "j_00000000000000000000"))
  expect_equal(c(e$status, e$code), c(502L, "http_502"))
  expect_match(e$message, "bad gateway")
  e <- caught(veil_me(client("l", "200text")))
  expect_equal(e$code, "bad_response")
  # an attempt that gets no answer times out, as code timeout
  e <- caught(veil_me(client("m", "silent", timeout = 0.5, retries = 0)))
  expect_equal(c(e$status, e$code), c(0L, "timeout"))
  # a read that times out is retried
  expect_equal(veil_me(client("n", "silent", timeout = 0.5, retries = 1)), list(org = "acme"))
  expect_length(hits("n"), 2)
})

-- GET /session with the session id header: a read-only request.
wrk.method = "GET"
wrk.path = "/session"
wrk.headers["X-Auth-Token"] = os.getenv("SESSION_ID")

"""The pipeline: what `invoke` runs. Needs pact-python, the `pact` CLI and Invoke (dependency group `verify`).

    settings.py   PipelineSettings, read from the environment and the project's `.env` (pydantic only)
    errors.py     `PipelineError` (invoke's `Exit`), and `read`: settings for a task
    output.py     standard output that survives a reader who stops reading (`invoke verify | head`)
    plan.py       which pacts a run verifies, from where, and whether it publishes
    verifier.py   a plan -> a configured `pact.Verifier`, run against the app served by server.py
    database.py   the database verification runs on: a fresh SQLite file, or VERIFY_DATABASE_URL's
    broker.py     the broker's Credentials, and one quick request that fails in seconds
    broker_answers.py  what the broker says of a verification: its pact source, its pacts, its results
    commands.py   `pact broker ...` commands, the deploy rule, fake CI
    webhook.py    the webhook that starts the webhook build, and its PactFlow secret
    jobs.py       what each task does: ci, ci-webhook, can-i-deploy, deploy, ...
    docs.py       the settings tables and `.env.example`, rendered from the settings

`invoke verify`, from the task to the verifier:

    tasks.verify(c)                          read(PipelineSettings), and the server's settings
      -> jobs.verify(settings, server)       loads the verifier (and the app) only for the jobs that verify
        -> verifier.verify(settings, server) plan, check the source, its own database, serve_in_thread(...)
          -> run_verification(plan, url, token)   build_verifier: source, states, messages, token, publishing
            -> pact.Verifier.verify()
"""

"""What every Keyuan process is built from: settings, database, outbox/inbox, metrics, clock,
auth, crypto and the AMQP RPC client for non-Nameko callers."""

import os
import warnings

# psycopg 3's C wait function blocks eventlet's hub: measured 8 × pg_sleep(0.5) in 4.1 s
# instead of 0.53 s. Select the pure-python select() waiter before psycopg is imported.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

# Nameko 2.14 is built on eventlet; its deprecation notice is known and noise in every log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

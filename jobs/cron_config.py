"""The periodic jobs for rq's own cron scheduler:

    rq cron jobs/cron_config.py --url "$REDIS_URL"      (or `flask jobs cron`, which loads this)

rq 3 matches cron strings against the process's local time; ours are in UTC (Oman is UTC+4, no
daylight saving), so loading this file puts the scheduler's process in UTC first.
"""

import os
import time

from rq import cron

from jobs.runner import run_task
from jobs.schedule import PERIODIC

os.environ["TZ"] = "UTC"
time.tzset()

for entry in PERIODIC:
    cron.register(run_task, entry.queue, args=(entry.task,), cron=entry.cron, name=entry.task)

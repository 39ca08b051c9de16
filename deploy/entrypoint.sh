#!/usr/bin/env bash
# RadCase container entrypoint. The first argument picks a role:
#
#   web               wait for the database, migrate when RADCASE_MIGRATE_ON_START=1,
#                     collectstatic, then exec gunicorn (deploy/gunicorn.conf.py)
#   worker-inference  Celery worker on the `inference` queue (model work; GPU-capable)
#   worker-reports    Celery worker on the `reports` and `default` queues
#   migrate           wait for the database, apply migrations, exit
#   anything else     exec'd as given, e.g. `python manage.py createsuperuser`
#
# Extra arguments after a role are passed on to gunicorn / celery, e.g.
#   worker-reports --autoscale 8,2
# Every long-running process is started with `exec`, so it is PID 1 (or the
# child of compose's `init`) and receives SIGTERM for a graceful shutdown.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP_DIR="$(dirname "$DEPLOY_DIR")"
cd "$APP_DIR"

log() { printf 'entrypoint: %s\n' "$*" >&2; }

wait_for_db() {
  python "$DEPLOY_DIR/wait_for_db.py"
}

migrate() {
  log "applying database migrations"
  python manage.py migrate --noinput
}

celery_worker() {
  # $1: node name prefix, $2: queues, $3: concurrency; then extra arguments.
  local name="$1" queues="$2" concurrency="$3"
  shift 3
  exec celery -A config worker \
    --hostname "${name}@%h" \
    --queues "$queues" \
    --concurrency "$concurrency" \
    --loglevel "${RADCASE_LOG_LEVEL:-INFO}" \
    --without-mingle --without-gossip \
    "$@"
}

role="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
  web)
    wait_for_db
    if [ "${RADCASE_MIGRATE_ON_START:-0}" = "1" ]; then
      migrate
    fi
    log "collecting static files"
    python manage.py collectstatic --noinput --verbosity 0
    log "starting gunicorn"
    exec gunicorn --config "$DEPLOY_DIR/gunicorn.conf.py" "$@" config.wsgi:application
    ;;
  worker-inference)
    wait_for_db
    # One model task at a time per container by default: scale with more
    # containers (or GPUs), not more processes sharing one model in memory.
    celery_worker inference inference "${CELERY_INFERENCE_CONCURRENCY:-1}" "$@"
    ;;
  worker-reports)
    wait_for_db
    celery_worker reports reports,default "${CELERY_REPORTS_CONCURRENCY:-2}" "$@"
    ;;
  migrate)
    wait_for_db
    migrate
    ;;
  *)
    exec "$role" "$@"
    ;;
esac

#!/bin/sh
# Install the Debian packages Agora runs beside Python, when any is missing:
#   ffmpeg, ffprobe          media validation and transcoding (apps.media)
#   chromium, chromedriver   the admin's browser tests (tests/browser)
#   redis-server             the outage tests start (and stop) a Redis of their own
#   nodejs, npm              the masto.js client tests (tests/clients/js, tests/clients/test_masto_js.py)
#   nginx, libnginx-mod-rtmp live ingest (deploy/nginx-rtmp, tests/integration/test_live_ingest.py)
#   postgresql-15            initdb, pg_ctl, pg_basebackup: the read replica test starts a
#                            primary and a streaming replica of its own
#                            (tests/integration/test_read_replicas.py)
#   pg_dump, pg_restore      backups (manage.py agora_backup / agora_restore, postgresql-client)
#   prometheus               its promtool checks and unit-tests the alert rules (deploy/monitoring,
#                            tests/deploy/test_monitoring.py); the server itself is not used
# Needs root or password-less sudo and apt-get; otherwise it says what to install
# and exits 1. Quick and silent when everything is present.
set -eu

missing=""
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing="$missing ffmpeg"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# The server may be installed without its RTMP module: look for the module itself.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing="$missing libnginx-mod-rtmp"
# The server tools are not on PATH (Debian keeps them per version): look for them there.
{ [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/lib/postgresql/15/bin/pg_basebackup ]; } \
    || missing="$missing postgresql-15"
command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 || missing="$missing postgresql-client"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "system-packages: missing:$missing; install them with: sudo apt-get install$missing" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages: missing:$missing, and this is not a Debian-like system (no apt-get)" >&2
    exit 1
fi
echo "system-packages: installing$missing (Debian packages)"
# Another apt (unattended upgrades, a second make) may hold the lock: wait for it
# rather than fail at once.
lock_wait="-o DPkg::Lock::Timeout=300"
$as_root apt-get $lock_wait update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get $lock_wait install -y -qq --no-install-recommends $missing >/dev/null
# Only promtool is wanted: a Prometheus server the package may have started is stopped.
case "$missing" in
*prometheus*) $as_root service prometheus stop >/dev/null 2>&1 || true ;;
esac

#!/bin/sh
# Runs a command (sluice) and runs it again only when it crashed — exit 1 (a broken sink, a broker that went away),
# or killed by a signal it did not handle (137 out of memory, 134, 139) — after RESTART_DELAY_S seconds (default
# 10). Any other exit code ends the script with that code: 0 and 3 (done), 2 (fix the command or pipeline), 4 (quota),
# 5 (budget), 6 (the endpoint refuses: fix the key, URL or model), 130/143 (stopped by SIGINT/SIGTERM) — restarting
# cannot help with those, and a container restart policy cannot tell exit codes apart (`restart: on-failure` looped
# on 2 and 6). SIGTERM and SIGINT are passed on to the command, so `docker stop` still lets sluice finish its
# in-flight calls and commit.
#   usage: restart-on-crash.sh COMMAND [ARG...]
delay="${RESTART_DELAY_S:-10}"
child=""
stopping=""
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM
trap 'stopping=1; [ -n "$child" ] && kill -INT "$child" 2>/dev/null' INT
while :; do
  "$@" &
  child=$!
  # `wait` returns early (status > 128) when a trapped signal arrives: wait again for the command's own exit.
  wait "$child"
  code=$?
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  child=""
  crashed=""
  if [ "$code" -eq 1 ] || { [ "$code" -gt 128 ] && [ "$code" -ne 130 ] && [ "$code" -ne 143 ]; }; then crashed=1; fi
  if [ -z "$crashed" ] || [ -n "$stopping" ]; then
    exit "$code"
  fi
  echo "restart-on-crash: exit $code (see above); starting again in ${delay}s" >&2
  sleep "$delay" &
  wait $!
  [ -n "$stopping" ] && exit 1
done

# Faults chosen at start (every one is off unless given)...
aimlstt-emulator --port 8765 --api-key emulator-key --fault-rate-limit 0.2 --fault-retry-after-seconds 2 \
  --fault-server-error 0.05 --fault-server-error-burst 3 --fault-server-error-codes 500,502,503,504 \
  --fault-routes create,fetch --fault-seed 7 &
# ...or changed while it runs
curl -s -X PUT localhost:8765/_emulator/faults -d '{"drop_connection": 0.1}'  # replace the whole set
curl -s localhost:8765/_emulator/faults                                     # read it
curl -s -X DELETE localhost:8765/_emulator/faults                           # switch all off

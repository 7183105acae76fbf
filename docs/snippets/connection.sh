# The connection, made from the command line (port 0: see the Test button below). The key is
# read from the environment; AIMLAPI_BASE_URL, when set, points it elsewhere (the emulator).
airflow connections add aimlstt_default --conn-type aimlstt --conn-port 0 \
    --conn-host "${AIMLAPI_BASE_URL:-https://api.aimlapi.com}" --conn-password "$AIMLAPI_KEY"

# Test it from the command line: Airflow refuses unless [core] test_connection is Enabled.
AIRFLOW__CORE__TEST_CONNECTION=Enabled airflow connections test aimlstt_default

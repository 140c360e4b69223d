"""The hand-off between the test thread and the app's task on the loop.

For now: the grace periods every protocol run on the loop shares.
"""

#: Seconds an app has to finish after it was told the client has gone (a
#: streamed response closed early, a websocket session left), before it is
#: cancelled.
DISCONNECT_GRACE = 1.0

#: The same, after a timeout: the app has had its time already.
TIMEOUT_GRACE = 0.1

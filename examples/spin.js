// Never ends: the host's wall-clock limit (or fuel budget) stops it.
while (true) {}

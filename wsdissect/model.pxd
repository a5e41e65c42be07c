# C types of the records in model.py (Cython's pure-Python mode: model.py stays plain Python and runs as such
# where no compiler is present). One section per layer that makes the records.

# --- packets and segments: RawPacket, Secrets, TcpSegment (sources/, decode.py) ---

# --- stream records: Frame, Message, DeflateParams (http.py, websocket/) ---

# --- analysis records: Note, Endpoint, Connection, Row, CaptureSummary, FoldedConnections (analyzer.py) ---

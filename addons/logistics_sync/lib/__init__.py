"""Plain-Python helpers of logistics_sync: no ORM, testable without a database."""

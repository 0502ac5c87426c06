"""What leaves the app as a file: spreadsheet-safe CSV and the town-hall pack."""

-- Where a visit was made, when the device could tell: {"latitude", "longitude", "accuracy_m"}.
ALTER TABLE visits ADD COLUMN location TEXT;

-- Schema 5: the post log read by channel, for `/stretch today` (the latest stretch a schedule posted in a
-- channel since a moment).
--
-- The conventions of schema 1 hold. Nothing else changes: the safe default for schedules without a
-- difficulty filter needs no data change, since a stored filter without `include_advanced` reads as
-- false, the default.
CREATE INDEX posts_by_channel ON posts (channel_id, fire_at) WHERE state = 'sent';

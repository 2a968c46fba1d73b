-- Two gaps in 0010's waiting-list offers:
--   * an offer that was paid and later cancelled (CONFIRMED -> CANCELLED) left its entry OFERTADO
--     for good: the entry now follows its order to CANCELADO from either state;
--   * deleting an event deletes its orders first (EventRepository.delete), which set the offer
--     entries' order_id to NULL and broke waitlist_offer_has_order (a 500): an entry now goes
--     with its order (the event's own cascade would remove it a moment later anyway).
DROP TRIGGER orders_sync_waitlist ON orders;
CREATE TRIGGER orders_sync_waitlist
  AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status IN ('RESERVED', 'CONFIRMED') AND NEW.status IN ('EXPIRED', 'CANCELLED'))
  EXECUTE FUNCTION orders_sync_waitlist();

UPDATE waitlist_entries w SET status = 'CANCELADO', updated_at = now()
FROM orders o
WHERE o.id = w.order_id AND w.status = 'OFERTADO' AND o.status = 'CANCELLED';

ALTER TABLE waitlist_entries DROP CONSTRAINT waitlist_entries_order_id_fkey;
ALTER TABLE waitlist_entries
  ADD CONSTRAINT waitlist_entries_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;

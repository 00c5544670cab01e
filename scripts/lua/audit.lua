-- Audit trail: every change under orders/ is recorded under audit/, keyed by
-- its revision (zero-padded, so the keys sort in revision order) and its
-- position among that revision's events (one txn can change several orders).
--
-- The hook writes under audit/, not orders/, so it never reacts to its own
-- writes. Handling an event again after a crash (at-least-once) writes the
-- same key with the same value: the trail has each change exactly once.
local WATCHED = "orders/"
local AUDIT = "audit/"

cairn.watch{ prefix = WATCHED, prev_kv = true, name = "audit", handler = function(ev)
  local key = string.format("%s%020d/%04d", AUDIT, ev.revision, ev.index)
  local record = ev.type .. " " .. ev.key
  if ev.type == "PUT" then
    record = record .. " = " .. ev.value
  elseif ev.prev_value then
    record = record .. " (was " .. ev.prev_value .. ")"
  end
  cairn.put(key, record)
  cairn.metric("audit_records"):inc()
end }

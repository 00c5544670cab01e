-- Per-prefix counters: every PUT of a key events/<group>/... adds one to
-- counters/<group>.
--
-- Exact under at-least-once delivery: the counter and the position of the
-- last event it counted (revision, then position within the revision) are
-- written together in one transaction, and an event at or before that
-- position is not counted again. The positions live under counter-marks/
-- so a prefix read of counters/ shows only the counts.
local WATCHED = "events/"
local COUNTERS = "counters/"
local MARKS = "counter-marks/"

local function position(ev)
  return string.format("%020d/%06d", ev.revision, ev.index)
end

cairn.watch{ prefix = WATCHED, filters = {"put"}, name = "counters", handler = function(ev)
  local group = ev.key:sub(#WATCHED + 1):match("^([^/]+)/")
  if not group then return end
  local here = position(ev)
  local mark = cairn.get(MARKS .. group)
  if mark and mark.value >= here then return end -- counted before a restart
  local counter = cairn.get(COUNTERS .. group)
  local n = counter and tonumber(counter.value) or 0
  local r = cairn.txn{
    compare = { { key = MARKS .. group, target = "mod", op = "==",
                  value = mark and mark.mod_revision or 0 } },
    success = { { op = "put", key = COUNTERS .. group, value = tostring(n + 1) },
                { op = "put", key = MARKS .. group, value = here } },
  }
  if not r.succeeded then
    error("counter " .. group .. " changed under the hook; the event is retried")
  end
end }

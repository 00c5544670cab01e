-- Janitor: an entry under cache/ is stale once MAX_AGE revisions have passed
-- since it was last written. Every write under cache/ sweeps the prefix and
-- deletes the stale entries; each delete is conditional on the revision the
-- sweep saw, so an entry rewritten meanwhile survives.
--
-- Age is counted in revisions, not seconds: handlers see no clock, so they
-- act the same on every replay. The hook reacts to PUTs only, so its own
-- deletes do not wake it.
local PREFIX = "cache/"
local MAX_AGE = 10

cairn.watch{ prefix = PREFIX, filters = {"put"}, name = "janitor", handler = function(ev)
  local entries = cairn.get(PREFIX, { prefix = true })
  local removed = 0
  for _, kv in ipairs(entries) do
    if ev.revision - kv.mod_revision > MAX_AGE then
      local r = cairn.txn{
        compare = { { key = kv.key, target = "mod", op = "==", value = kv.mod_revision } },
        success = { { op = "delete", key = kv.key } },
      }
      if r.succeeded then removed = removed + 1 end
    end
  end
  if removed > 0 then
    cairn.log("info", "janitor removed " .. removed .. " stale cache entries")
    cairn.metric("janitor_removed"):inc(removed)
  end
end }

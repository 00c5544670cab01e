-- Secondary index: users/<id> holds a user's e-mail address, and the hook
-- keeps index/email/<address> -> <id> in step with it, so a user can be
-- found by address with one get.
--
-- Replays are harmless: an old address is removed only while it still
-- points at this user, and an address is indexed only if the user still
-- holds the value of this event (a replayed old event does not bring an
-- old address back).
local PRIMARY = "users/"
local INDEX = "index/email/"

cairn.watch{ prefix = PRIMARY, prev_kv = true, name = "email-index", handler = function(ev)
  local id = ev.key:sub(#PRIMARY + 1)
  if ev.prev_value and ev.prev_value ~= ev.value then
    cairn.txn{
      compare = { { key = INDEX .. ev.prev_value, value = id } },
      success = { { op = "delete", key = INDEX .. ev.prev_value } },
    }
  end
  if ev.type == "PUT" then
    local current = cairn.get(ev.key)
    if current and current.mod_revision == ev.revision then
      cairn.put(INDEX .. ev.value, id)
    end
  end
end }

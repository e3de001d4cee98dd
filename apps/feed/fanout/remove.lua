-- Removes entries from one home feed.
--
-- KEYS: feed, reblogs. ARGV: (id, original or 0 when it is not, or not known to be, a
-- reblog) pairs. Removes each status; a removed original takes the reblogs shown for
-- it along; a removed reblog that stood for its original is replaced by the oldest
-- other reblog of it the feed received. Returns the number of entries removed.
local feed, reblogs = KEYS[1], KEYS[2]
local removed = 0
local function older(a, b) return #a < #b or (#a == #b and a < b) end
local function remove_reblog(id, original)
  local seen = reblogs .. ':' .. original
  redis.call('SREM', seen, id)
  if redis.call('ZREM', feed, id) == 0 then return end
  removed = removed + 1
  redis.call('ZREM', reblogs, original)
  local other = nil
  for _, member in ipairs(redis.call('SMEMBERS', seen)) do
    if other == nil or older(member, other) then other = member end
  end
  if other then
    redis.call('ZADD', feed, other, other)
    redis.call('ZADD', reblogs, other, original)
  end
end
for i = 1, #ARGV, 2 do
  local id, original = ARGV[i], ARGV[i + 1]
  if original ~= '0' then
    remove_reblog(id, original)
  else
    for _, candidate in ipairs(redis.call('ZRANGEBYSCORE', reblogs, id, id)) do
      if redis.call('SISMEMBER', reblogs .. ':' .. candidate, id) == 1 then
        remove_reblog(id, candidate)
      end
    end
    local seen = reblogs .. ':' .. id
    for _, reblog in ipairs(redis.call('SMEMBERS', seen)) do
      removed = removed + redis.call('ZREM', feed, reblog)
    end
    redis.call('DEL', seen)
    redis.call('ZREM', reblogs, id)
    removed = removed + redis.call('ZREM', feed, id)
  end
end
return removed

-- Adds entries to home feeds; one call serves a whole batch of feeds (fan-out).
--
-- KEYS: (feed, reblogs, truncated) for each feed, one triple per feed.
-- ARGV: cap, falloff, ttl, mode, has_more, then (id, original or 0) pairs oldest first.
-- mode: "push" (fan-out: create the feed if need be), "merge" (only into an existing
-- feed, never below a truncated feed's oldest entry), "rebuild" (from the database:
-- forget the old truncation mark). has_more: the pairs are the newest of a longer
-- source, so what lies below the oldest pair cannot be vouched for and is dropped.
-- Returns the number of entries added.
local cap, falloff, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local mode, has_more = ARGV[4], ARGV[5] == '1'
local function older(a, b) return #a < #b or (#a == #b and a < b) end
local function add(feed, reblogs, truncated)
  if mode == 'merge' and redis.call('EXISTS', feed) == 0 then return 0 end
  if mode == 'rebuild' then redis.call('DEL', truncated) end
  local floor = nil
  local is_truncated = redis.call('EXISTS', truncated) == 1
  if is_truncated then
    floor = redis.call('ZRANGE', feed, 0, 0)[1]
  end
  local added, lowest = 0, nil
  for i = 6, #ARGV, 2 do
    local id, original = ARGV[i], ARGV[i + 1]
    if lowest == nil or older(id, lowest) then lowest = id end
    if floor == nil or older(floor, id) then
      if original ~= '0' then
        if not redis.call('ZSCORE', feed, id) then
          local rank = redis.call('ZREVRANK', feed, original)
          if not rank or rank >= falloff then
            local seen = reblogs .. ':' .. original
            redis.call('SADD', seen, id)
            redis.call('EXPIRE', seen, ttl)
            if redis.call('ZADD', reblogs, 'NX', id, original) == 1 then
              redis.call('ZADD', feed, id, id)
              added = added + 1
            end
          end
        end
      elseif not redis.call('ZSCORE', reblogs, id) then
        added = added + redis.call('ZADD', feed, 'NX', id, id)
      end
    end
  end
  if has_more and lowest then
    local below = redis.call('ZRANGEBYSCORE', feed, '-inf', '(' .. lowest)
    for _, member in ipairs(below) do
      if older(member, lowest) then redis.call('ZREM', feed, member) end
    end
    redis.call('SET', truncated, '1')
    is_truncated = true
  end
  if added > 0 and redis.call('ZREMRANGEBYRANK', feed, 0, -(cap + 1)) > 0 then
    redis.call('SET', truncated, '1')
    is_truncated = true
  end
  if redis.call('ZCARD', reblogs) > 0 then
    local edge = redis.call('ZREVRANGE', feed, falloff, falloff, 'WITHSCORES')
    if edge[2] then
      for _, original in ipairs(redis.call('ZRANGEBYSCORE', reblogs, '-inf', edge[2])) do
        redis.call('DEL', reblogs .. ':' .. original)
      end
      redis.call('ZREMRANGEBYSCORE', reblogs, '-inf', edge[2])
    end
    redis.call('EXPIRE', reblogs, ttl)
  end
  redis.call('EXPIRE', feed, ttl)
  if is_truncated then redis.call('EXPIRE', truncated, ttl) end
  return added
end
local total = 0
for k = 1, #KEYS, 3 do
  total = total + add(KEYS[k], KEYS[k + 1], KEYS[k + 2])
end
return total

-- exchange.lua: ICentralLedger.ExchangeAsync (AccountBook.Exchange).
-- ARGV[8..16]: instance, sequence (decimal string), used, return, return_overage, want, min_acceptable, overage_want,
-- held.
-- Reply: { 0 } unknown account, or { 1, granted, overage_granted, revoked, lease_lost, lease_credits, lease_expires_at,
--          available, overage_headroom, reclaim_requested, status, mode, overage_limit, low_balance_threshold, unit }.

local function exchange_reply(granted, overage_granted, revoked, lease_lost, credits, expires_at)
  return {
    1, granted, overage_granted, revoked, lease_lost and 1 or 0, credits, expires_at, available(), overage_headroom(),
    reclaim_pending() and 1 or 0, account.status, account.mode, account.overage_limit, account.low_balance_threshold,
    account.unit,
  }
end

-- The exchanges hash keeps, per instance: sequence had_lease, then the first reply's 13 numbers, then its unit.
local function encode_last(sequence, had_lease, reply)
  local p = { sequence, had_lease and '1' or '0' }
  for i = 2, 14 do p[#p + 1] = int(reply[i]) end
  p[#p + 1] = reply[15]
  return table.concat(p, ' ')
end

if not load_account() then return { 0 } end
load_book()
advance()

local instance, sequence = ARGV[8], ARGV[9]
local used, return_amount, return_overage = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local want, min_acceptable, overage_want = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local held = tonumber(ARGV[16])

local last_had_lease = false
local last_raw = redis.call('HGET', EXCHANGES_KEY, instance)
if last_raw then
  local f, unit = fields(last_raw, 15)
  last_had_lease = f[2] == '1'
  local c = decimal_compare(sequence, f[1])
  if c <= 0 then
    -- A retry of the last exchange gets its first answer; an older one changes nothing.
    save()
    if c == 0 then
      local reply = { 1 }
      for i = 3, 15 do reply[#reply + 1] = tonumber(f[i]) end
      reply[#reply + 1] = unit
      return reply
    end
    local l = leases[instance]
    if l then return exchange_reply(0, 0, 0, false, lease_credits(l), l.expires) end
    return exchange_reply(0, 0, 0, false, 0, NOW)
  end
end

local lease_lost = last_had_lease and leases[instance] == nil
local lease = leases[instance]
if not lease then
  lease = new_lease()
  leases[instance] = lease
end

-- Usage: the lease's slices (inactive grants' first, then burn order), then its overage allowance, then central
-- credits, the rest is debt.
if used > 0 then
  local covered, left = 0, used
  for _, g in ipairs(slice_grants_in_usage_order(lease)) do
    local s = lease.slices[g.id]
    local x = math.min(left, s.amount)
    s.amount = s.amount - x
    if s.amount == 0 then remove_slice(lease, g.id) end
    covered = covered + x
    left = left - x
  end
  local from_allowance = math.min(left, lease.overage)
  lease.overage = lease.overage - from_allowance
  left = left - from_allowance
  for _, g in ipairs(grants) do
    if left == 0 then break end
    if is_active(g) then
      local x = math.min(left, g.remaining)
      g.remaining = g.remaining - x
      covered = covered + x
      left = left - x
    end
  end
  account.consumed = account.consumed + covered
  local overage = from_allowance + left
  account.debt = account.debt + overage
  if covered > 0 then append(CONSUMED, covered, '', instance) end
  if overage > 0 then append(OVERAGE, overage, '', instance) end
end

-- Return: what burns last goes back first, so the lease keeps what should be spent first.
if return_amount > 0 then
  local list = slice_grants_in_burn_order(lease)
  local amount = return_amount
  for i = #list, 1, -1 do
    if amount <= 0 then break end
    local g = list[i]
    local s = lease.slices[g.id]
    local x = math.min(amount, s.amount)
    s.amount = s.amount - x
    if s.amount == 0 then remove_slice(lease, g.id) end
    give_back(g, x)
    amount = amount - x
  end
end

lease.overage = lease.overage - math.min(lease.overage, return_overage)

-- Revocation: unused credits of grants voided or expired since they were leased. Credits still held for open
-- reservations count against those slices first, so only what exceeds the holds goes back, last-burning first.
local inactive = 0
for id, s in pairs(lease.slices) do
  if not is_active(find_grant(id)) then inactive = inactive + s.amount end
end
local revocable = math.max(0, inactive - held)
local revoked = 0
if revocable > 0 then
  local list = slice_grants_in_burn_order(lease)
  for i = #list, 1, -1 do
    if revocable <= 0 then break end
    local g = list[i]
    if not is_active(g) then
      local s = lease.slices[g.id]
      local x = math.min(revocable, s.amount)
      s.amount = s.amount - x
      if s.amount == 0 then remove_slice(lease, g.id) end
      give_back(g, x)
      revoked = revoked + x
      revocable = revocable - x
    end
  end
end

local granted, overage_granted = 0, 0
local overage_possible = overage_want > 0 and account.mode == SOFT
if account.status == ACTIVE then
  if want > 0 then
    -- At most a fair share and a fraction of what is left; near zero that is exactly what the request needs.
    local avail = available()
    local holders = 1
    for other, l in pairs(leases) do
      if other ~= instance and lease_credits(l) > 0 then holders = holders + 1 end
    end
    local cap = math.max(1, math.min(math.floor(avail * MAX_LEASE_SHARE), idiv(avail, holders)))
    -- When overage may cover the rest, whatever credits are left are acceptable.
    if overage_possible then min_acceptable = math.min(min_acceptable, avail) end
    local give = math.min(math.min(want, math.max(min_acceptable, cap)), avail)
    if give <= 0 or give < min_acceptable then
      if holders > 1 then account.reclaim_at = NOW end
    else
      local left = give
      for _, g in ipairs(grants) do
        if left == 0 then break end
        if is_active(g) and g.remaining > 0 then
          local x = math.min(left, g.remaining)
          g.remaining = g.remaining - x
          local s = lease.slices[g.id]
          if s then
            s.amount = s.amount + x
          else
            lease.slices[g.id] = { amount = x, slot = take_slot(lease.slots) }
          end
          left = left - x
        end
      end
      granted = give
    end
  end

  if overage_possible then
    -- Credits first: what this exchange could lease in credits reduces the overage it needs.
    overage_granted = math.min(math.max(0, overage_want - granted), overage_headroom())
    lease.overage = lease.overage + overage_granted
  end
end

-- A lease never outlives the earliest expiry of the credits it carries; slices of inactive grants stay only for
-- credits already held and do not shorten it.
local credits = lease_credits(lease)
local expires_at = NOW + LEASE_TTL
for id in pairs(lease.slices) do
  local g = find_grant(id)
  if is_active(g) and g.expires ~= nil and g.expires < expires_at then expires_at = g.expires end
end
lease.expires = expires_at
if credits == 0 and lease.overage == 0 then
  leases[instance] = nil
  release_slot(account.lease_slots, lease.slot)
end

local reply = exchange_reply(granted, overage_granted, revoked, lease_lost, credits, expires_at)
redis.call('HSET', EXCHANGES_KEY, instance, encode_last(sequence, credits + lease.overage > 0, reply))
save()
return reply

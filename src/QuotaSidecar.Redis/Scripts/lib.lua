-- lib.lua: prepended to every ledger script when the scripts are loaded (LedgerScripts.cs).
--
-- One script call = one account: it reads the account's state, applies the same rules, in the same order, as
-- QuotaSidecar.Core's AccountBook (Advance, Exchange, AddGrant, Void, ...), and writes back what changed.
--
-- KEYS: 1 account hash, 2 grants hash (the working set), 3 leases hash, 4 exchanges hash, 5 ledger stream,
--       6 drained grants hash (read only when asked for) (README.md: key layout).
-- ARGV: 1 now (ms since the Unix epoch, from the caller's TimeProvider: never Redis TIME), 2 lease TTL (ms),
--       3 max lease share, 4 reclaim window (ms), 5 max ledger entries, 6 reclaim grace (ms), 7 the largest total
--       an account may reach (Validation.MaxAccountTotal); script arguments start at ARGV[8].
--
-- Numbers: Lua 5.1 numbers are doubles, exact up to 2^53 (the largest amount). They are written with %d, never
-- with tostring() or cjson, which print 2^53 as 9.007199254741e+15.

local ACCOUNT_KEY, GRANTS_KEY, LEASES_KEY, EXCHANGES_KEY, LEDGER_KEY, DRAINED_GRANTS_KEY =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local NOW = tonumber(ARGV[1])
local LEASE_TTL = tonumber(ARGV[2])
local MAX_LEASE_SHARE = tonumber(ARGV[3])
local RECLAIM_WINDOW = tonumber(ARGV[4])
local MAX_ENTRIES = ARGV[5]
local RECLAIM_GRACE = tonumber(ARGV[6])
-- Totals above 2^53 are not exact in doubles: compare with the cap by subtracting from it (exact whenever the totals
-- are, e.g. 512 grants of 2^53), never by adding to a total, where 2^62 + 1 rounds back to 2^62.
local MAX_ACCOUNT_TOTAL = tonumber(ARGV[7])

-- Enum values shared with C#: AccountStatus, OverageMode, GrantCategory, RecurrencePeriod, LedgerEntryKind.
local ACTIVE, SOFT, PROMOTIONAL = 1, 2, 2
local DAILY, MONTHLY = 1, 3
local GRANTED, CONSUMED, EXPIRED, VOIDED, OVERAGE, RENEWED, OVERAGE_PAID = 1, 2, 3, 4, 5, 6, 7
local DAY_MS = 86400000

local function int(n)
  return string.format('%d', n)
end

local function opt_int(n)
  if n == nil then return '-' end
  return int(n)
end

local function opt_number(s)
  if s == nil or s == '-' then return nil end
  return tonumber(s)
end

-- Byte order, like string.CompareOrdinal on ASCII ids: Lua's '<' on strings uses strcoll, and redis-server takes
-- LC_COLLATE from its environment.
local function ordinal_less(a, b)
  if a == b then return false end
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Sequence numbers travel as decimal strings (a long may exceed 2^53): -1, 0 or 1.
local function decimal_compare(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return ordinal_less(a, b) and -1 or 1
end

-- Integer division of non-negative integers up to 2^53, exact: fmod is exact, so a - r is an exact multiple of b
-- (math.floor(a / b) can round up near 2^53, and q + 1 can round back to q there).
local function idiv(a, b)
  return (a - math.fmod(a, b)) / b
end

-- The first n space-separated tokens and the rest of the string, which may hold spaces (metadata, unit).
local function fields(s, n)
  local t, pos = {}, 1
  for i = 1, n do
    local sp = string.find(s, ' ', pos, true)
    if not sp then
      t[i] = string.sub(s, pos)
      return t, ''
    end
    t[i] = string.sub(s, pos, sp - 1)
    pos = sp + 1
  end
  return t, string.sub(s, pos)
end

local function split(s)
  local t = {}
  for w in string.gmatch(s, '%S+') do t[#t + 1] = w end
  return t
end

---------------------------------------------------------------------------------------------------------------------
-- Slots: AccountBook keeps leases (and a lease's slices) in .NET Dictionaries and walks them when it reclaims expired
-- leases, appending ledger entries as it goes. A Dictionary enumerates in slot order, and a freed slot is reused
-- last-freed-first. Keeping the same slots here makes those entries come in the same order.

local function decode_stack(s)
  local t = {}
  if s ~= nil and s ~= '-' then
    for w in string.gmatch(s, '[^,]+') do t[#t + 1] = tonumber(w) end
  end
  return t
end

local function encode_stack(t)
  if #t == 0 then return '-' end
  local p = {}
  for i, v in ipairs(t) do p[i] = int(v) end
  return table.concat(p, ',')
end

local function take_slot(slots)
  local n = #slots.free
  if n > 0 then
    local s = slots.free[n]
    slots.free[n] = nil
    return s
  end
  local s = slots.count
  slots.count = s + 1
  return s
end

local function release_slot(slots, s)
  slots.free[#slots.free + 1] = s
end

---------------------------------------------------------------------------------------------------------------------
-- State, loaded once per call.

local account        -- the account hash, parsed; nil when the account does not exist
local account_raw    -- the account hash as read, to write back only changed fields
-- A drained grant has nothing left centrally and never will again: it expired, was voided, or was used up (not
-- recurring, with no credits out on a lease to come back). No rule reads it except listing, a void, its idempotency
-- check and the leases that still carry its credits, so it lives in the drained hash and a script reads only the
-- working set, however long the account's history. Its only possible change is a void or reaching its expiry (which
-- adds no entry since nothing is left): that is applied when it is read (decode_grant).
local grants = {}        -- the working set (and new grants), in burn-down order after advance()
local grants_by_id = {}  -- every grant read or created by this call
local leases = {}    -- instance -> lease
local leases_raw = {}

local function new_account()
  account_raw = {}
  account = {
    status = ACTIVE, mode = 1, overage_limit = 0, low_balance_threshold = 0, unit = '',
    granted = 0, consumed = 0, expired = 0, voided = 0, debt = 0, reclaim_at = nil, pending = 0,
    entry_seq = 0, lease_slots = { count = 0, free = {} },
  }
end

local function load_account()
  local flat = redis.call('HGETALL', ACCOUNT_KEY)
  if #flat == 0 then return false end
  account_raw = {}
  for i = 1, #flat, 2 do account_raw[flat[i]] = flat[i + 1] end
  local r = account_raw
  account = {
    status = tonumber(r.status), mode = tonumber(r.mode), overage_limit = tonumber(r.overage_limit),
    low_balance_threshold = tonumber(r.low_balance_threshold), unit = r.unit or '',
    granted = tonumber(r.granted), consumed = tonumber(r.consumed), expired = tonumber(r.expired),
    voided = tonumber(r.voided), debt = tonumber(r.debt), reclaim_at = opt_number(r.reclaim_at),
    pending = tonumber(r.pending or '0'),
    entry_seq = tonumber(r.entry_seq), lease_slots = { count = tonumber(r.lease_slots), free = decode_stack(r.lease_free) },
  }
  return true
end

local function account_fields()
  return {
    status = int(account.status), mode = int(account.mode), overage_limit = int(account.overage_limit),
    low_balance_threshold = int(account.low_balance_threshold), unit = account.unit,
    granted = int(account.granted), consumed = int(account.consumed), expired = int(account.expired),
    voided = int(account.voided), debt = int(account.debt), reclaim_at = opt_int(account.reclaim_at),
    pending = int(account.pending),
    entry_seq = int(account.entry_seq), lease_slots = int(account.lease_slots.count),
    lease_free = encode_stack(account.lease_slots.free),
  }
end

-- Grant: 14 tokens, a space, then the metadata (JSON written by C#, opaque here):
-- amount remaining priority category effective explicit expires voided period rollover activated closed period_index created
local GRANT_PATTERN = '^' .. string.rep('(%S+) ', 14) .. '(.*)$'

-- stored: 'live' or 'drained' (which hash holds it), nil for a grant created by this call.
local function decode_grant(id, raw, stored)
  local amount, remaining, priority, category, effective, explicit, expires, voided, period, rollover, activated,
    closed, period_index, created, meta = string.match(raw, GRANT_PATTERN)
  local g = {
    id = id, stored = stored,
    amount = tonumber(amount), remaining = tonumber(remaining), priority = tonumber(priority),
    category = tonumber(category), effective = tonumber(effective), explicit = explicit == '1',
    expires = opt_number(expires), voided = opt_number(voided), period = tonumber(period),
    rollover = tonumber(rollover), activated = activated == '1', closed = closed == '1',
    period_index = tonumber(period_index), created = tonumber(created), meta = meta,
  }
  -- What a call may change, as read: save() writes only grants that differ.
  g.was = { g.remaining, g.activated, g.closed, g.voided, g.period_index }
  if stored == 'drained' and not g.closed and g.voided == nil and g.expires ~= nil and g.expires <= NOW then
    g.closed = true -- what advance() would have done: nothing is left to expire
  end
  return g
end

local function grant_changed(g)
  local w = g.was
  return w == nil or w[1] ~= g.remaining or w[2] ~= g.activated or w[3] ~= g.closed or w[4] ~= g.voided
    or w[5] ~= g.period_index
end

local function encode_grant(g)
  return table.concat({
    int(g.amount), int(g.remaining), int(g.priority), int(g.category), int(g.effective), g.explicit and '1' or '0',
    opt_int(g.expires), opt_int(g.voided), int(g.period), int(g.rollover), g.activated and '1' or '0',
    g.closed and '1' or '0', int(g.period_index), int(g.created), g.meta,
  }, ' ')
end

-- Lease: slot expires overage slice_slot_count slice_free_slots, then (grant amount slot) per slice.
local function decode_lease(raw)
  local f = split(raw)
  local l = {
    slot = tonumber(f[1]), expires = tonumber(f[2]), overage = tonumber(f[3]),
    slots = { count = tonumber(f[4]), free = decode_stack(f[5]) }, slices = {},
  }
  for i = 6, #f, 3 do
    l.slices[f[i]] = { amount = tonumber(f[i + 1]), slot = tonumber(f[i + 2]) }
  end
  return l
end

local function new_lease()
  return { slot = take_slot(account.lease_slots), expires = NOW, overage = 0, slots = { count = 0, free = {} }, slices = {} }
end

-- The slices as { grant = id, amount, slot }, in slot (Dictionary) order.
local function slices_in_slot_order(l)
  local list = {}
  for id, s in pairs(l.slices) do list[#list + 1] = { grant = id, amount = s.amount, slot = s.slot } end
  table.sort(list, function(a, b) return a.slot < b.slot end)
  return list
end

local function encode_lease(l)
  local p = { int(l.slot), int(l.expires), int(l.overage), int(l.slots.count), encode_stack(l.slots.free) }
  for _, s in ipairs(slices_in_slot_order(l)) do
    p[#p + 1] = s.grant
    p[#p + 1] = int(s.amount)
    p[#p + 1] = int(s.slot)
  end
  return table.concat(p, ' ')
end

local function load_book()
  local flat = redis.call('HGETALL', GRANTS_KEY)
  for i = 1, #flat, 2 do
    local g = decode_grant(flat[i], flat[i + 1], 'live')
    grants[#grants + 1] = g
    grants_by_id[g.id] = g
  end
  flat = redis.call('HGETALL', LEASES_KEY)
  for i = 1, #flat, 2 do
    leases[flat[i]] = decode_lease(flat[i + 1])
    leases_raw[flat[i]] = flat[i + 1]
  end
end

-- A grant by id, from the working set or the drained hash; nil when the account has no such grant.
local function find_grant(id)
  local g = grants_by_id[id]
  if g == nil then
    local raw = redis.call('HGET', DRAINED_GRANTS_KEY, id)
    if raw then
      g = decode_grant(id, raw, 'drained')
      grants_by_id[id] = g
    end
  end
  return g
end

-- Writes back what changed: only those grants (each in the hash it now belongs to), leases and account fields.
local function save()
  local on_lease = {}
  for _, l in pairs(leases) do
    for id in pairs(l.slices) do on_lease[id] = true end
  end
  for id, g in pairs(grants_by_id) do
    local drained = g.closed or g.voided ~= nil
      or (g.activated and g.period == 0 and g.remaining == 0 and not on_lease[id])
    local where = drained and 'drained' or 'live'
    if grant_changed(g) or g.stored ~= where then
      redis.call('HSET', drained and DRAINED_GRANTS_KEY or GRANTS_KEY, id, encode_grant(g))
      if g.stored ~= nil and g.stored ~= where then
        redis.call('HDEL', drained and GRANTS_KEY or DRAINED_GRANTS_KEY, id)
      end
      g.stored = where
      g.was = { g.remaining, g.activated, g.closed, g.voided, g.period_index }
    end
  end
  for instance in pairs(leases_raw) do
    if leases[instance] == nil then redis.call('HDEL', LEASES_KEY, instance) end
  end
  for instance, l in pairs(leases) do
    local e = encode_lease(l)
    if e ~= leases_raw[instance] then redis.call('HSET', LEASES_KEY, instance, e) end
  end
  local args = {}
  for k, v in pairs(account_fields()) do
    if account_raw[k] ~= v then
      args[#args + 1] = k
      args[#args + 1] = v
    end
  end
  if #args > 0 then redis.call('HSET', ACCOUNT_KEY, unpack(args)) end
end

-- Ledger entry ids are <n>-0 from a counter in the account hash: increasing whatever the callers' clocks say.
local function append(kind, amount, grant_id, source)
  account.entry_seq = account.entry_seq + 1
  redis.call('XADD', LEDGER_KEY, 'MAXLEN', MAX_ENTRIES, int(account.entry_seq) .. '-0',
    'kind', int(kind), 'amount', int(amount), 'grant', grant_id, 'source', source, 'at', int(NOW))
end

---------------------------------------------------------------------------------------------------------------------
-- Calendar (proleptic Gregorian, UTC), for monthly renewals: DateTimeOffset.AddMonths clamps the day to the month.

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function days_in_month(y, m)
  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then return 29 end
  return DAYS_IN_MONTH[m]
end

local function add_months(ms, k)
  local days = math.floor(ms / DAY_MS)
  local time_of_day = ms - days * DAY_MS
  local y, m, d = civil_from_days(days)
  local months = y * 12 + (m - 1) + k
  local ny = math.floor(months / 12)
  local nm = months - ny * 12 + 1
  d = math.min(d, days_in_month(ny, nm))
  return days_from_civil(ny, nm, d) * DAY_MS + time_of_day
end

-- Recurrence.BoundaryAt: the start of period k (0 = the anchor).
local function boundary_at(period, anchor, k)
  if period == DAILY then return anchor + k * DAY_MS end
  if period == MONTHLY then return add_months(anchor, k) end
  return anchor + 7 * k * DAY_MS
end

-- Recurrence.PeriodIndexAt: how many boundaries lie in (anchor, at].
local function period_index_at(period, anchor, at)
  if at <= anchor then return 0 end
  local index
  if period == MONTHLY then
    local y1, m1 = civil_from_days(math.floor(anchor / DAY_MS))
    local y2, m2 = civil_from_days(math.floor(at / DAY_MS))
    index = (y2 - y1) * 12 + (m2 - m1) - 1
  else
    index = math.floor((at - anchor) / (period == DAILY and DAY_MS or 7 * DAY_MS)) - 1
  end
  if index < 0 then index = 0 end
  while boundary_at(period, anchor, index + 1) <= at do index = index + 1 end
  while index > 0 and boundary_at(period, anchor, index) > at do index = index - 1 end
  return index
end

---------------------------------------------------------------------------------------------------------------------
-- The rules (AccountBook, method by method).

local function is_active(g)
  return g.activated and not g.closed and g.voided == nil
end

-- BurnDownOrder.Compare: priority, expiry (never-expiring last), promotional first, effective, grant id.
local function burns_before(a, b)
  if a.priority ~= b.priority then return a.priority < b.priority end
  if a.expires ~= b.expires then
    if a.expires == nil then return false end
    if b.expires == nil then return true end
    return a.expires < b.expires
  end
  local ra, rb = a.category == PROMOTIONAL and 0 or 1, b.category == PROMOTIONAL and 0 or 1
  if ra ~= rb then return ra < rb end
  if a.effective ~= b.effective then return a.effective < b.effective end
  return ordinal_less(a.id, b.id)
end

local function lease_credits(l)
  local sum = 0
  for _, s in pairs(l.slices) do sum = sum + s.amount end
  return sum
end

-- LeaseRecord.GrantsInBurnOrder.
local function slice_grants_in_burn_order(l)
  local list = {}
  for id in pairs(l.slices) do list[#list + 1] = find_grant(id) end
  table.sort(list, burns_before)
  return list
end

-- LeaseRecord.GrantsInUsageOrder: credits of voided or expired grants first (they cannot be spent later), then
-- burn-down order.
local function slice_grants_in_usage_order(l)
  local list = {}
  for id in pairs(l.slices) do list[#list + 1] = find_grant(id) end
  table.sort(list, function(a, b)
    local ia, ib = is_active(a), is_active(b)
    if ia ~= ib then return ib end
    return burns_before(a, b)
  end)
  return list
end

local function remove_slice(l, id)
  release_slot(l.slots, l.slices[id].slot)
  l.slices[id] = nil
end

local function available()
  local sum = 0
  for _, g in ipairs(grants) do
    if is_active(g) then sum = sum + g.remaining end
  end
  return sum
end

local function overage_headroom()
  if account.mode ~= SOFT then return 0 end
  local out = 0
  for _, l in pairs(leases) do out = out + l.overage end
  return math.max(0, account.overage_limit - account.debt - out)
end

local function reclaim_pending()
  return account.reclaim_at ~= nil and NOW < account.reclaim_at + RECLAIM_WINDOW
end

-- Unused leased credits go back to their grant, or to voided/expired if the grant is gone.
local function give_back(g, amount)
  if amount == 0 then return end
  if is_active(g) then
    g.remaining = g.remaining + amount
  elseif g.voided ~= nil then
    account.voided = account.voided + amount
    append(VOIDED, amount, g.id, '')
  else
    account.expired = account.expired + amount
    append(EXPIRED, amount, g.id, '')
  end
end

local function pay_off_debt(g)
  local paid = math.min(account.debt, g.remaining)
  if paid <= 0 then return end
  account.debt = account.debt - paid
  g.remaining = g.remaining - paid
  account.consumed = account.consumed + paid
  append(OVERAGE_PAID, paid, g.id, '')
end

local function reclaim_expired_leases()
  local expired = {}
  for instance, l in pairs(leases) do
    -- Kept for a grace after its expiry, for its holder's late report.
    if l.expires + RECLAIM_GRACE <= NOW then expired[#expired + 1] = instance end
  end
  if #expired == 0 then return end
  table.sort(expired, function(a, b) return leases[a].slot < leases[b].slot end)
  for _, instance in ipairs(expired) do
    local l = leases[instance]
    for _, s in ipairs(slices_in_slot_order(l)) do give_back(find_grant(s.grant), s.amount) end
    leases[instance] = nil
    release_slot(account.lease_slots, l.slot)
  end
end

local function renew(g)
  -- A recurring grant that expired renews only for the boundaries before its expiry.
  local upto = NOW
  if g.expires ~= nil and g.expires <= NOW then upto = g.expires - 1 end
  local index = period_index_at(g.period, g.effective, upto)
  while g.period_index < index and g.amount <= MAX_ACCOUNT_TOTAL - account.granted do
    g.period_index = g.period_index + 1
    local unused = g.remaining
    local kept = math.min(unused, g.rollover)
    if unused - kept > 0 then
      account.expired = account.expired + unused - kept
      append(EXPIRED, unused - kept, g.id, '')
    end
    g.remaining = kept + g.amount
    account.granted = account.granted + g.amount
    append(RENEWED, g.amount, g.id, '')
    pay_off_debt(g)
  end
end

-- AccountBook.Advance: everything time has made due: lease reclaim, activation, renewal, expiry.
local function advance()
  reclaim_expired_leases()
  table.sort(grants, burns_before)
  for _, g in ipairs(grants) do
    if g.voided == nil and not g.closed then
      if not g.activated and g.effective <= NOW then
        g.activated = true
        g.remaining = g.amount
        account.pending = account.pending - g.amount
        account.granted = account.granted + g.amount
        append(GRANTED, g.amount, g.id, '')
        pay_off_debt(g)
      end
      if g.activated then
        if g.period ~= 0 then renew(g) end
        if g.expires ~= nil and g.expires <= NOW then
          g.closed = true
          if g.remaining > 0 then
            account.expired = account.expired + g.remaining
            append(EXPIRED, g.remaining, g.id, '')
            g.remaining = 0
          end
        end
      end
    end
  end
end

-- Every grant, working set and drained, in burn-down order (AccountBook keeps them all in one sorted list).
local function all_grants_in_burn_order()
  local all = {}
  for _, g in pairs(grants_by_id) do all[#all + 1] = g end
  local flat = redis.call('HGETALL', DRAINED_GRANTS_KEY)
  for i = 1, #flat, 2 do
    if grants_by_id[flat[i]] == nil then all[#all + 1] = decode_grant(flat[i], flat[i + 1], 'drained') end
  end
  table.sort(all, burns_before)
  return all
end

---------------------------------------------------------------------------------------------------------------------
-- Replies (parsed by ScriptReplies.cs).

local function account_reply()
  local leased, overage_leased = 0, 0
  for _, l in pairs(leases) do
    leased = leased + lease_credits(l)
    overage_leased = overage_leased + l.overage
  end
  return {
    1, account.status, account.mode, account.overage_limit, account.low_balance_threshold, account.unit,
    available(), leased, account.consumed, account.expired, account.voided, account.debt, account.granted, overage_leased,
  }
end

local function grant_reply(g)
  return {
    g.id, g.amount, g.remaining, g.priority, g.category, g.effective, g.explicit and 1 or 0, opt_int(g.expires),
    opt_int(g.voided), g.period, g.rollover, g.created, g.period_index, g.meta,
  }
end

-- End of lib.lua; the script's own body follows.

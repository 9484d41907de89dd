#!lua name=quota_ledger_{version}
-- ledger.lua: the Redis central ledger as one Redis function library (FUNCTION LOAD once per server, FCALL per
-- call; LedgerLibrary.cs). {version} is replaced by a hash of this file when it is loaded, so sidecars of different
-- versions sharing one Redis each call their own library during a rolling upgrade.
--
-- One call = one account: it reads the account's state, applies the same rules, in the same order, as
-- QuotaSidecar.Core's AccountBook, and writes back what changed. The section "AccountBook" below has one function per
-- AccountBook method, with the same names (snake_case) in the same order, so the two can be read side by side.
--
-- keys: 1 account hash, 2 grants hash (the working set), 3 leases hash, 4 exchanges hash, 5 ledger stream,
--       6 drained grants hash (read only when asked for), 7 usage hash (label set -> credits; read by the exchange and
--       usage functions only), 8 events outbox stream (README.md: key layout).
-- args: 1 now (ms since the Unix epoch, from the caller's TimeProvider: never Redis TIME), 2 lease TTL (ms),
--       3 max lease share, 4 reclaim window (ms), 5 max ledger entries, 6 reclaim grace (ms), 7 the largest total
--       an account may reach (Validation.MaxAccountTotal), 8 instance record horizon (ms); a function's own
--       arguments start at args[9].
--
-- Numbers: Lua 5.1 numbers are doubles, exact up to 2^53 (the largest amount). They are written with %d, never
-- with tostring() or cjson, which print 2^53 as 9.007199254741e+15.

-- Standard library functions, bound by begin() on the first call (they cannot be reached while FUNCTION LOAD runs
-- the library's top level) and then read as upvalues: a global lookup in a function library goes through its
-- sandbox (1,000 math.min calls: 53-60 us through the global, 35-41 us through an upvalue, on Redis 7.0). std() is
-- defined before the locals, so the names in it are the globals.
local function std()
  return tonumber, pairs, ipairs, unpack, error, string.format, string.byte, string.find, string.sub, string.match,
    string.gmatch, math.min, math.max, math.floor, math.fmod, table.sort, table.concat
end
local tonumber, pairs, ipairs, unpack, error, format, byte, find, sub, match, gmatch, min, max, floor, fmod, sort,
  concat

-- Enum values shared with C#: AccountStatus, OverageMode, GrantCategory, RecurrencePeriod, LedgerEntryKind.
local ACTIVE, HARD, SOFT, TRACK, PROMOTIONAL = 1, 1, 2, 3, 2
local DAILY, WEEKLY, MONTHLY, HOURLY, MINUTE = 1, 2, 3, 4, 5
local GRANTED, CONSUMED, EXPIRED, VOIDED, OVERAGE, RENEWED, OVERAGE_PAID = 1, 2, 3, 4, 5, 6, 7
local DAY_MS = 86400000
-- The fixed length of each period but the calendar month (ms).
local PERIOD_MS = { [DAILY] = DAY_MS, [WEEKLY] = 7 * DAY_MS, [HOURLY] = 3600000, [MINUTE] = 60000 }
-- Validation.MaxAmount (2^53): the largest amount, and where an instance's usage total begins anew.
local MAX_AMOUNT = 9007199254740992

---------------------------------------------------------------------------------------------------------------------
-- Replies: every reply starts with a status (0 = unknown account, -1 = unknown grant, -2 = over the account total,
-- 1 = done, 2 = grant exists; upsert only: -3 = the parent cannot change while leased, -4 = the parent is not the one
-- the caller read, -5 = the parent would change and the caller has not checked the tree). The fields of each reply, in order; ScriptReplies.cs names the same fields in its
-- enums and a test compares the two lists (the reply_fields function below).

local REPLY = {
  exchange = {
    'status', 'granted', 'overage_granted', 'revoked', 'lease_lost', 'lease_credits', 'lease_expires_at', 'available',
    'overage_headroom', 'reclaim_requested', 'account_status', 'overage_mode', 'overage_limit',
    'low_balance_threshold', 'unit', 'instance_expired', 'used_total', 'lease_overage', 'store_rolled_back',
    'usage_restored', 'label_overflow', 'events_pending', 'parent_id',
  },
  account = {
    'status', 'account_status', 'overage_mode', 'overage_limit', 'low_balance_threshold', 'unit', 'available',
    'leased', 'consumed', 'expired', 'voided', 'overage', 'granted', 'overage_leased', 'parent_id',
  },
  grant = {
    'grant_id', 'amount', 'remaining', 'priority', 'category', 'effective_at', 'effective_given', 'expires_at',
    'voided_at', 'period', 'rollover_max', 'created_at', 'period_index', 'metadata',
  },
}

-- The reply as an array in the layout's order; a missing field is a bug here, not a nil that would end the array.
local function pack(layout, values)
  local r = {}
  for i, name in ipairs(layout) do
    local v = values[name]
    if v == nil then error('reply field ' .. name .. ' is missing') end
    r[i] = v
  end
  return r
end

---------------------------------------------------------------------------------------------------------------------
-- Helpers.

local function int(n)
  return format('%d', n)
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
  local n = min(#a, #b)
  for i = 1, n do
    local x, y = byte(a, i), byte(b, i)
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
-- (floor(a / b) can round up near 2^53, and q + 1 can round back to q there).
local function idiv(a, b)
  return (a - fmod(a, b)) / b
end

-- The first n space-separated tokens and the rest of the string, which may hold spaces (metadata, unit).
local function fields(s, n)
  local t, pos = {}, 1
  for i = 1, n do
    local sp = find(s, ' ', pos, true)
    if not sp then
      t[i] = sub(s, pos)
      return t, ''
    end
    t[i] = sub(s, pos, sp - 1)
    pos = sp + 1
  end
  return t, sub(s, pos)
end

local function split(s)
  local t = {}
  for w in gmatch(s, '%S+') do t[#t + 1] = w end
  return t
end

local function sorted_keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  sort(list, ordinal_less)
  return list
end

---------------------------------------------------------------------------------------------------------------------
-- Calendar (proleptic Gregorian, UTC), for monthly renewals: DateTimeOffset.AddMonths clamps the day to the month.

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
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
  local days = floor(ms / DAY_MS)
  local time_of_day = ms - days * DAY_MS
  local y, m, d = civil_from_days(days)
  local months = y * 12 + (m - 1) + k
  local ny = floor(months / 12)
  local nm = months - ny * 12 + 1
  d = min(d, days_in_month(ny, nm))
  return days_from_civil(ny, nm, d) * DAY_MS + time_of_day
end

-- Recurrence.BoundaryAt: the start of period k (0 = the anchor).
local function boundary_at(period, anchor, k)
  if period == MONTHLY then return add_months(anchor, k) end
  return anchor + k * PERIOD_MS[period]
end

-- Recurrence.PeriodIndexAt: how many boundaries lie in (anchor, at].
local function period_index_at(period, anchor, at)
  if at <= anchor then return 0 end
  local index
  if period == MONTHLY then
    local y1, m1 = civil_from_days(floor(anchor / DAY_MS))
    local y2, m2 = civil_from_days(floor(at / DAY_MS))
    index = (y2 - y1) * 12 + (m2 - m1) - 1
  else
    index = floor((at - anchor) / PERIOD_MS[period]) - 1
  end
  if index < 0 then index = 0 end
  while boundary_at(period, anchor, index + 1) <= at do index = index + 1 end
  while index > 0 and boundary_at(period, anchor, index) > at do index = index - 1 end
  return index
end

---------------------------------------------------------------------------------------------------------------------
-- The call: its keys, settings and the account's state. A library's top-level locals outlive a call, so begin()
-- sets every one of them at the start of each call; nothing is carried from one call to the next.

local ACCOUNT_KEY, GRANTS_KEY, LEASES_KEY, EXCHANGES_KEY, LEDGER_KEY, DRAINED_GRANTS_KEY, EVENTS_KEY
local NOW, LEASE_TTL, MAX_LEASE_SHARE, RECLAIM_WINDOW, MAX_ENTRIES, RECLAIM_GRACE, INSTANCE_HORIZON
-- Totals above 2^53 are not exact in doubles: compare with the cap by subtracting from it (exact whenever the totals
-- are, e.g. 512 grants of 2^53), never by adding to a total, where 2^62 + 1 rounds back to 2^62.
local MAX_ACCOUNT_TOTAL

local account        -- the account hash, parsed; nil when the account does not exist
local account_raw    -- the account hash as read, to write back only changed fields
-- A drained grant has nothing left centrally and never will again: it expired, was voided, or was used up (not
-- recurring, with no credits out on a lease to come back). No rule reads it except listing, a void, its idempotency
-- check and the leases that still carry its credits, so it lives in the drained hash and a call reads only the
-- working set, however long the account's history. Its only possible change is a void or reaching its expiry (which
-- adds no entry since nothing is left): that is applied when it is read (decode_grant).
local grants         -- the working set (and new grants), in burn-down order after advance()
local grants_by_id   -- every grant read or created by this call
local leases         -- instance -> lease
local leases_raw     -- instance -> lease as read
local expired_now    -- { grant id, unused } of each grant advance() expired in this call (its grant.expired event)
local expiring_now   -- { grant id, remaining } of each grant touch() warns of in this call (its grant.expiring event)

local function begin(keys, args)
  if concat == nil then
    tonumber, pairs, ipairs, unpack, error, format, byte, find, sub, match, gmatch, min, max, floor, fmod, sort,
      concat = std()
  end
  ACCOUNT_KEY, GRANTS_KEY, LEASES_KEY, EXCHANGES_KEY, LEDGER_KEY, DRAINED_GRANTS_KEY, EVENTS_KEY =
    keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[8]
  NOW = tonumber(args[1])
  LEASE_TTL = tonumber(args[2])
  MAX_LEASE_SHARE = tonumber(args[3])
  RECLAIM_WINDOW = tonumber(args[4])
  MAX_ENTRIES = args[5]
  RECLAIM_GRACE = tonumber(args[6])
  MAX_ACCOUNT_TOTAL = tonumber(args[7])
  INSTANCE_HORIZON = tonumber(args[8])
  account, account_raw = nil, nil
  grants, grants_by_id, leases, leases_raw = {}, {}, {}, {}
  expired_now = {}
  expiring_now = {}
end

---------------------------------------------------------------------------------------------------------------------
-- Storage: what AccountBook keeps in memory, read from and written back to the account's keys.

-- Fields written by the scripts before this library (Dictionary slot emulation); removed when the account is saved.
local LEGACY_ACCOUNT_FIELDS = { 'lease_slots', 'lease_free' }

local function new_account()
  account_raw = {}
  account = {
    status = ACTIVE, mode = 1, overage_limit = 0, low_balance_threshold = 0, unit = '', parent_id = '',
    granted = 0, consumed = 0, expired = 0, voided = 0, debt = 0, reclaim_at = nil, pending = 0,
    entry_seq = 0, idle_since_min = nil,
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
    -- Absent: a root (an account written before the tree, or one without a parent). Written by the upsert only.
    parent_id = r.parent_id or '',
    granted = tonumber(r.granted), consumed = tonumber(r.consumed), expired = tonumber(r.expired),
    voided = tonumber(r.voided), debt = tonumber(r.debt), reclaim_at = opt_number(r.reclaim_at),
    pending = tonumber(r.pending or '0'), entry_seq = tonumber(r.entry_seq),
    -- Absent in an account written before instance records were forgotten: its records are swept (and given an
    -- idle time) at once.
    idle_since_min = r.idle_since_min == nil and NOW - INSTANCE_HORIZON or opt_number(r.idle_since_min),
  }
  return true
end

local function account_fields()
  return {
    status = int(account.status), mode = int(account.mode), overage_limit = int(account.overage_limit),
    low_balance_threshold = int(account.low_balance_threshold), unit = account.unit,
    granted = int(account.granted), consumed = int(account.consumed), expired = int(account.expired),
    voided = int(account.voided), debt = int(account.debt), reclaim_at = opt_int(account.reclaim_at),
    pending = int(account.pending), entry_seq = int(account.entry_seq),
    idle_since_min = opt_int(account.idle_since_min),
  }
end

-- Grant: 14 tokens, a space, then the metadata (JSON written by C#, opaque here):
-- amount remaining priority category effective explicit expires voided period rollover activated closed period_index created
-- (A literal: the standard libraries are not reachable while FUNCTION LOAD runs the library's top level.)
local GRANT_PATTERN = '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (.*)$'

-- stored: 'live' or 'drained' (which hash holds it), nil for a grant created by this call.
local function decode_grant(id, raw, stored)
  local amount, remaining, priority, category, effective, explicit, expires, voided, period, rollover, activated,
    closed, period_index, created, meta = match(raw, GRANT_PATTERN)
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
  -- GrantRecord.Carried, in the account hash ('carried:<id>' = 'period_index credits'; absent or of another period:
  -- 0), so the grant's encoding stays what the previous library reads.
  local c_period, c_amount = match(account_raw['carried:' .. id] or '', '^(%d+) (%d+)$')
  g.carried = tonumber(c_period) == g.period_index and tonumber(c_amount) or 0
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
  return concat({
    int(g.amount), int(g.remaining), int(g.priority), int(g.category), int(g.effective), g.explicit and '1' or '0',
    opt_int(g.expires), opt_int(g.voided), int(g.period), int(g.rollover), g.activated and '1' or '0',
    g.closed and '1' or '0', int(g.period_index), int(g.created), g.meta,
  }, ' ')
end

-- Lease: expires overage, then (grant amount) per slice. Written before this library it was: slot expires overage
-- slice_slot_count slice_free_slots, then (grant amount slot) per slice; the account then still has lease_slots.
local function decode_lease(raw)
  local f = split(raw)
  local legacy = account_raw.lease_slots ~= nil
  local first, step = legacy and 6 or 3, legacy and 3 or 2
  local l = { expires = tonumber(f[legacy and 2 or 1]), overage = tonumber(f[legacy and 3 or 2]), slices = {} }
  for i = first, #f, step do l.slices[f[i]] = tonumber(f[i + 1]) end
  return l
end

local function new_lease()
  return { expires = NOW, overage = 0, slices = {} }
end

local function encode_lease(l)
  local p = { int(l.expires), int(l.overage) }
  for _, id in ipairs(sorted_keys(l.slices)) do
    p[#p + 1] = id
    p[#p + 1] = int(l.slices[id])
  end
  return concat(p, ' ')
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

-- Balance events (docs/design.md#balance-events; EmbeddedEventLog.Decide and BalanceState in C#). The customer
-- balance B = granted - consumed - expired - voided is compared with the lines it can cross; which side it was on
-- is kept in the account hash (ev_state: 'L' low, 'D' depleted, 'O' in overage, 'X' overage limit reached, each
-- or '-'; ev_seq: the account's last event number). A flip is a crossing: its event goes to the account's outbox stream (entry id <n>-0, n the event
-- number) in this same call, for the relay to copy to the global stream. An account without ev_state (new, or
-- written before events existed) only records its state. Then the auto-recharge policy (docs/design.md#auto-recharge;
-- EmbeddedEventLog.DecideRecharge): rc_policy 'threshold target max_per_month cooldown_ms', rc_state 'requested
-- month count last_ms requests' (set by RedisRechargePolicies; absent: no policy).
local function decide_events()
  local b = account.granted - account.consumed - account.expired - account.voided
  local n = tonumber(account_raw.ev_seq or '0')
  local id = match(ACCOUNT_KEY, '{([^{}]*)}:account$')
  local function emit(kind, line, recharge_id, amount, grant_id)
    n = n + 1
    redis.call('XADD', EVENTS_KEY, int(n) .. '-0', 'id', id .. ':' .. int(n), 'type', kind, 'account', id,
      'balance', int(b), 'threshold', int(line), 'at', int(NOW), 'recharge_id', recharge_id, 'amount', int(amount),
      'grant_id', grant_id or '')
  end

  -- A TRACK account has no limit to warn about: it is on no side of any line and decides no crossing
  -- (docs/design.md#account-tree); grant events and the recharge policy still apply.
  local track = account.mode == TRACK
  local low = not track and b <= account.low_balance_threshold
  local depleted = account.mode == HARD and b <= 0
  local in_overage = not track and account.debt > 0
  local limit_reached = account.mode == SOFT and account.overage_limit > 0 and account.debt >= account.overage_limit
  local state = (low and 'L' or '-') .. (depleted and 'D' or '-') .. (in_overage and 'O' or '-')
    .. (limit_reached and 'X' or '-')
  local was = account_raw.ev_state
  if was ~= nil and was ~= state and not track then
    local was_low, was_depleted = sub(was, 1, 1) == 'L', sub(was, 2, 2) == 'D'
    local was_overage, was_limit = sub(was, 3, 3) == 'O', sub(was, 4, 4) == 'X'
    if low and not was_low then emit('balance.low', account.low_balance_threshold, '', 0) end
    if depleted and not was_depleted then emit('balance.depleted', account.low_balance_threshold, '', 0) end
    if was_low and not low then emit('balance.recovered', account.low_balance_threshold, '', 0) end
    if in_overage and not was_overage then emit('overage.started', account.overage_limit, '', account.debt) end
    if limit_reached and not was_limit then emit('overage.limit_reached', account.overage_limit, '', account.debt) end
  end

  for _, e in ipairs(expiring_now) do emit('grant.expiring', 0, '', e[2], e[1]) end
  expiring_now = {}
  for _, e in ipairs(expired_now) do emit('grant.expired', 0, '', e[2], e[1]) end
  expired_now = {}

  local policy = account_raw.rc_policy
  if policy ~= nil then
    local threshold, target, cap, cooldown = match(policy, '^(%d+) (%d+) (%d+) (%d+)$')
    threshold, target, cap, cooldown = tonumber(threshold), tonumber(target), tonumber(cap), tonumber(cooldown)
    local requested, month, count, last, requests = match(account_raw.rc_state or '0 0 0 - 0', '^(%d) (%d+) (%d+) (%S+) (%d+)$')
    requested, month, count, last, requests = requested == '1', tonumber(month), tonumber(count), opt_number(last), tonumber(requests)
    local rc_state = account_raw.rc_state
    if cap > 0 then
      if b > threshold then
        requested = false
      elseif not requested then
        local y, m = civil_from_days(floor(NOW / DAY_MS))
        local this_month = y * 12 + m
        if month ~= this_month then count = 0 end
        if count < cap and (last == nil or NOW - last >= cooldown) then
          requests = requests + 1
          requested, month, count, last = true, this_month, count + 1, NOW
          emit('recharge.requested', threshold, 'recharge-' .. int(requests), target - b)
        end
      end
      rc_state = concat({ requested and '1' or '0', int(month), int(count), opt_int(last), int(requests) }, ' ')
    end
    if rc_state ~= account_raw.rc_state then
      redis.call('HSET', ACCOUNT_KEY, 'rc_state', rc_state)
      account_raw.rc_state = rc_state
    end
  end

  if was ~= state or n ~= tonumber(account_raw.ev_seq or '0') then
    redis.call('HSET', ACCOUNT_KEY, 'ev_state', state, 'ev_seq', int(n))
    account_raw.ev_state, account_raw.ev_seq = state, int(n)
  end
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
    local field = 'carried:' .. id
    local carried = (g.carried > 0 and not drained) and (int(g.period_index) .. ' ' .. int(g.carried)) or nil
    if carried ~= account_raw[field] then
      if carried then redis.call('HSET', ACCOUNT_KEY, field, carried) else redis.call('HDEL', ACCOUNT_KEY, field) end
      account_raw[field] = carried
    end
  end
  local legacy = account_raw.lease_slots ~= nil
  for instance in pairs(leases_raw) do
    if leases[instance] == nil then redis.call('HDEL', LEASES_KEY, instance) end
  end
  for instance, l in pairs(leases) do
    local e = encode_lease(l)
    if legacy or e ~= leases_raw[instance] then redis.call('HSET', LEASES_KEY, instance, e) end
  end
  local args = {}
  for k, v in pairs(account_fields()) do
    if account_raw[k] ~= v then
      args[#args + 1] = k
      args[#args + 1] = v
    end
  end
  if #args > 0 then redis.call('HSET', ACCOUNT_KEY, unpack(args)) end
  for _, k in ipairs(LEGACY_ACCOUNT_FIELDS) do
    if account_raw[k] ~= nil then redis.call('HDEL', ACCOUNT_KEY, k) end
  end
  decide_events()
end

-- Exchange record (AccountBook's LastExchange), per instance in the exchanges hash:
--   r2 sequence:used_total:lease_overage:usage_restored had_lease idle_since, then the first answer's fields
--   (REPLY.exchange from granted to low_balance_threshold), then its unit (the rest of the value, may hold spaces).
-- usage_restored is '-' unless the answer was to a rollback (store_rolled_back). idle_since is '-' while the instance
-- holds a lease, else when it last stopped holding one. A record written before this library has no 'r2' and no
-- idle_since; one written before rollbacks were detected has a bare sequence (the previous library, during a rolling
-- upgrade, reads the first token only as its own instances' sequence and keeps other instances' tokens as they are).
local RECORDED = {}
for i = 2, #REPLY.exchange do
  if REPLY.exchange[i] == 'unit' then break end
  RECORDED[#RECORDED + 1] = REPLY.exchange[i]
end

local function decode_record(raw)
  local legacy = sub(raw, 1, 3) ~= 'r2 '
  local head = legacy and 2 or 3
  local f, unit = fields(legacy and raw or sub(raw, 4), head + #RECORDED)
  local answer = {
    status = 1, unit = unit, instance_expired = 0, used_total = 0, lease_overage = 0, store_rolled_back = 0,
    usage_restored = 0,
  }
  for i, name in ipairs(RECORDED) do answer[name] = tonumber(f[head + i]) end
  local sequence, used_total, lease_overage, restored = match(f[1], '^(%d+):(%d+):(%d+):(%S+)$')
  local extended = sequence ~= nil
  if extended then
    answer.used_total = tonumber(used_total)
    answer.lease_overage = tonumber(lease_overage)
    answer.store_rolled_back = restored == '-' and 0 or 1
    answer.usage_restored = opt_number(restored) or 0
  end
  return {
    sequence = extended and sequence or f[1], extended = extended, had_lease = f[2] == '1',
    idle_since = (not legacy) and opt_number(f[3]) or nil, answer = answer,
  }
end

local function encode_record(r)
  local a = r.answer
  local token = r.sequence
  if r.extended then
    token = concat({
      r.sequence, int(a.used_total), int(a.lease_overage), a.store_rolled_back == 1 and int(a.usage_restored) or '-',
    }, ':')
  end
  local p = { 'r2', token, r.had_lease and '1' or '0', opt_int(r.idle_since) }
  for _, name in ipairs(RECORDED) do p[#p + 1] = int(a[name]) end
  p[#p + 1] = a.unit
  return concat(p, ' ')
end

local function load_record(instance)
  local raw = redis.call('HGET', EXCHANGES_KEY, instance)
  if not raw then return nil end
  return decode_record(raw)
end

local function store_record(instance, r)
  redis.call('HSET', EXCHANGES_KEY, instance, encode_record(r))
  if r.idle_since ~= nil and (account.idle_since_min == nil or r.idle_since < account.idle_since_min) then
    account.idle_since_min = r.idle_since
  end
end

---------------------------------------------------------------------------------------------------------------------
-- AccountBook, method by method (same names, same order).

local balance, advance, exchange, add_grant, void, list_grants
local reclaim_expired_leases, forget_idle_instances, renew, pay_off_debt, apply_usage, return_credits
local revoke_inactive_slices, give_back, take, lease_expiry, available, overage_headroom, reclaim_pending, snapshot
local append, rolled_back_usage, add_to_total

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

-- LeaseRecord.Credits.
local function lease_credits(l)
  local sum = 0
  for _, amount in pairs(l.slices) do sum = sum + amount end
  return sum
end

-- LeaseRecord.GrantsInBurnOrder: the slices' grants in burn-down order.
local function slice_grants_in_burn_order(l)
  local list = {}
  for id in pairs(l.slices) do list[#list + 1] = find_grant(id) end
  sort(list, burns_before)
  return list
end

-- LeaseRecord.IsLive: the slice's credits may still be spent later (an active grant, not of an ended period).
local function is_live(g, ended)
  return is_active(g) and not ended[g.id]
end

-- LeaseRecord.EndedPeriodSlices: the grants (id -> true) whose slice holds credits of a recurring period that ended
-- since the lease's last exchange, which capped the expiry at the period's end (docs/design.md#lease-expiry).
local function ended_period_slices(l)
  local ended = {}
  for id in pairs(l.slices) do
    local g = find_grant(id)
    if is_active(g) and g.period ~= 0 and boundary_at(g.period, g.effective, g.period_index) >= l.expires then
      ended[id] = true
    end
  end
  return ended
end

-- LeaseRecord.GrantsInUsageOrder: credits of voided or expired grants, and of a recurring grant's ended period,
-- first (they cannot be spent later), then burn-down order.
local function slice_grants_in_usage_order(l, ended)
  local list = {}
  for id in pairs(l.slices) do list[#list + 1] = find_grant(id) end
  sort(list, function(a, b)
    local ia, ib = is_live(a, ended), is_live(b, ended)
    if ia ~= ib then return ib end
    return burns_before(a, b)
  end)
  return list
end

-- LeaseRecord.TakeFrom: x credits off a slice, which disappears when empty.
local function take_from_slice(l, g, x)
  local left = l.slices[g.id] - x
  l.slices[g.id] = left > 0 and left or nil
end

function balance()
  local leased, overage_leased = 0, 0
  for _, l in pairs(leases) do
    leased = leased + lease_credits(l)
    overage_leased = overage_leased + l.overage
  end
  return {
    available = available(), leased = leased, consumed = account.consumed, expired = account.expired,
    voided = account.voided, overage = account.debt, granted = account.granted, overage_leased = overage_leased,
  }
end

-- Everything time has made due: lease reclaim, forgetting idle instances, activation, renewal, expiry.
function advance()
  reclaim_expired_leases()
  forget_idle_instances()
  sort(grants, burns_before)
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
            expired_now[#expired_now + 1] = { g.id, g.remaining }
            append(EXPIRED, g.remaining, g.id, '')
            g.remaining = 0
          end
        end
      end
    end
  end
end

-- Usage labels (AccountBook.AddLabelUsage; docs/design.md#usage-labels). Set by the entry points that use them
-- (exchange_entry, usage_entry), not by begin(): no other call touches the usage hash.
local USAGE_KEY        -- keys[7]
local MAX_LABEL_SETS   -- distinct label sets kept per account, the overflow set not counted
local label_overflow   -- credits this call put in the overflow set because of the cap
local OVERFLOW_SET = '_overflow=true'

-- Adds an exchange's usage per label set ({ set, amount, set, amount, ... }) to the account's running totals: a set
-- beyond MAX_LABEL_SETS distinct ones goes to the overflow set. Runs only when the exchange is applied (after the
-- sequence check), in the same atomic call: exactly once per sequence.
local function add_label_usage(usage)
  label_overflow = 0
  if usage == nil or #usage == 0 then return end
  local count = redis.call('HLEN', USAGE_KEY)
  if redis.call('HEXISTS', USAGE_KEY, OVERFLOW_SET) == 1 then count = count - 1 end
  for i = 1, #usage, 2 do
    local set, amount = usage[i], usage[i + 1]
    if set ~= OVERFLOW_SET and redis.call('HEXISTS', USAGE_KEY, set) == 0 then
      if count >= MAX_LABEL_SETS then
        label_overflow = label_overflow + tonumber(amount)
        set = OVERFLOW_SET
      else
        count = count + 1
      end
    end
    redis.call('HINCRBY', USAGE_KEY, set, amount)
  end
end

-- ex: instance, sequence (decimal string), used, return_amount, return_overage, want, min_acceptable, overage_want,
-- held, composed_at (nil = not given), acknowledged (decimal string, '0' = none), acknowledged_usage, acknowledged_at
-- (nil = not given). Returns the answer (REPLY.exchange fields by name).
function exchange(ex)
  advance()
  local last = load_record(ex.instance)
  if last then
    local c = decimal_compare(ex.sequence, last.sequence)
    -- A retry of the last exchange gets its first answer; an older one changes nothing.
    if c == 0 then return last.answer end
    if c < 0 then return snapshot(ex.instance, false, last.answer.used_total) end
  end
  local restored = rolled_back_usage(ex, last)
  if restored == nil and last == nil and ex.composed_at ~= nil and ex.composed_at + INSTANCE_HORIZON <= NOW then
    -- Composed a horizon ago by an instance the ledger does not know: it may have been applied and the instance
    -- forgotten since, so applying it now could apply it twice. Nothing is applied; the sidecar loses its lease.
    return snapshot(ex.instance, true, 0)
  end

  local lease_lost = last ~= nil and last.had_lease and leases[ex.instance] == nil
  local lease = leases[ex.instance]
  if not lease then
    lease = new_lease()
    leases[ex.instance] = lease
  end

  -- Slices of a recurring period that ended since the lease's last exchange: charged first, the rest goes back by the
  -- recurrence rule (docs/design.md#recurrence), never into the new period.
  local ended = ended_period_slices(lease)

  -- After a rollback the usage the ledger lost is charged again first, as a report of its own; the sidecar's figure
  -- (the ledger's own, as it last answered) is then the running total.
  apply_usage(lease, restored or 0, ex.instance, ended)
  apply_usage(lease, ex.used, ex.instance, ended)
  add_label_usage(ex.label_usage)
  local base = restored ~= nil and ex.acknowledged_usage or (last and last.answer.used_total or 0)
  local used_total = add_to_total(base, ex.used)
  return_credits(lease, ex.return_amount, ended)
  lease.overage = lease.overage - min(lease.overage, ex.return_overage)
  local revoked = revoke_inactive_slices(lease, ex.held, ended)

  local granted, overage_granted = 0, 0
  local overage_possible = ex.overage_want > 0 and account.mode == SOFT
  if account.status == ACTIVE then
    if ex.want > 0 then
      granted = take(lease, ex.instance, ex.want, ex.min_acceptable, overage_possible)
    end
    if overage_possible then
      -- Credits first: what this exchange could lease in credits reduces the overage it needs.
      overage_granted = min(max(0, ex.overage_want - granted), overage_headroom())
      lease.overage = lease.overage + overage_granted
    end
  end

  local credits = lease_credits(lease)
  local overage = lease.overage
  lease.expires = lease_expiry(lease)
  if credits == 0 and overage == 0 then
    leases[ex.instance] = nil
  end

  local answer = {
    status = 1, granted = granted, overage_granted = overage_granted, revoked = revoked,
    lease_lost = lease_lost and 1 or 0, lease_credits = credits, lease_expires_at = lease.expires,
    available = available(), overage_headroom = overage_headroom(), reclaim_requested = reclaim_pending() and 1 or 0,
    account_status = account.status, overage_mode = account.mode, overage_limit = account.overage_limit,
    low_balance_threshold = account.low_balance_threshold, unit = account.unit, instance_expired = 0,
    used_total = used_total, lease_overage = overage, store_rolled_back = restored ~= nil and 1 or 0,
    usage_restored = restored or 0,
  }
  local holds = credits + overage > 0
  store_record(ex.instance, {
    sequence = ex.sequence, extended = true, had_lease = holds, idle_since = (not holds) and NOW or nil,
    answer = answer,
  })
  return answer
end

-- Returns 1 and the new grant, 2 and the existing grant of that id (C# compares the fields: same grant -> returned
-- as is, different -> AlreadyExists), or -2 when the account's total would pass the cap.
function add_grant(spec)
  advance()
  local existing = find_grant(spec.id)
  if existing then return 2, existing end

  -- Granted so far plus every grant still to take effect (voided ones included, as AccountBook counts them).
  if spec.amount > MAX_ACCOUNT_TOTAL - account.granted - account.pending then return -2, nil end

  local g = {
    id = spec.id, stored = nil, amount = spec.amount, remaining = 0, priority = spec.priority,
    category = spec.category, effective = spec.effective or NOW, explicit = spec.effective ~= nil,
    expires = spec.expires, voided = nil, period = spec.period, rollover = spec.rollover, activated = false,
    closed = false, period_index = 0, created = NOW, meta = spec.meta, carried = 0,
  }
  grants[#grants + 1] = g
  grants_by_id[g.id] = g
  account.pending = account.pending + g.amount
  advance()
  return 1, g
end

-- Returns the grant, or nil when the account has no such grant.
function void(id)
  advance()
  local g = find_grant(id)
  if not g then return nil end
  if g.voided ~= nil then return g end
  g.voided = NOW
  if g.activated and g.remaining > 0 then
    account.voided = account.voided + g.remaining
    append(VOIDED, g.remaining, g.id, '')
  end
  g.remaining = 0
  return g
end

-- Every grant, working set and drained, in burn-down order (AccountBook keeps them all in one sorted list).
function list_grants(include_inactive)
  advance()
  local all = {}
  for _, g in pairs(grants_by_id) do all[#all + 1] = g end
  local flat = redis.call('HGETALL', DRAINED_GRANTS_KEY)
  for i = 1, #flat, 2 do
    if grants_by_id[flat[i]] == nil then all[#all + 1] = decode_grant(flat[i], flat[i + 1], 'drained') end
  end
  sort(all, burns_before)
  local list = {}
  for _, g in ipairs(all) do
    if include_inactive or is_active(g) then list[#list + 1] = g end
  end
  return list
end

-- AccountBook.Entries is the ledger stream itself here (XRANGE in the list_entries function).

-- Leases past their expiry and grace go back, in a fixed order so their ledger entries come out the same in both
-- ledgers: by instance id (ordinal), and a lease's slices in burn-down order of their grants.
function reclaim_expired_leases()
  local expired = {}
  for instance, l in pairs(leases) do
    -- Kept for a grace after its expiry, for its holder's late report.
    if l.expires + RECLAIM_GRACE <= NOW then expired[#expired + 1] = instance end
  end
  if #expired == 0 then return end
  sort(expired, ordinal_less)
  for _, instance in ipairs(expired) do
    local l = leases[instance]
    local ended = ended_period_slices(l)
    for _, g in ipairs(slice_grants_in_burn_order(l)) do give_back(g, l.slices[g.id], ended) end
    leases[instance] = nil
    -- The instance's record stays (its holder learns the lease was lost); the horizon starts now.
    local r = load_record(instance)
    if r then
      r.idle_since = NOW
      store_record(instance, r)
    end
  end
end

-- Instance records (sequence and first answer, for retries) are kept while the instance holds a lease and for the
-- instance record horizon after it stopped holding one (returned or reclaimed); then they go, so the exchanges hash
-- does not grow with every sidecar start. The account remembers the earliest idle time, so the hash is read only
-- when a record is due.
function forget_idle_instances()
  if account.idle_since_min == nil or account.idle_since_min + INSTANCE_HORIZON > NOW then return end
  local flat = redis.call('HGETALL', EXCHANGES_KEY)
  local earliest = nil
  for i = 1, #flat, 2 do
    local instance = flat[i]
    if leases[instance] == nil then
      local r = decode_record(flat[i + 1])
      if r.idle_since == nil then
        -- Written before records were forgotten (or its lease since reclaimed): idle from now.
        r.idle_since = NOW
        redis.call('HSET', EXCHANGES_KEY, instance, encode_record(r))
      end
      if r.idle_since + INSTANCE_HORIZON <= NOW then
        redis.call('HDEL', EXCHANGES_KEY, instance)
      elseif earliest == nil or r.idle_since < earliest then
        earliest = r.idle_since
      end
    end
  end
  account.idle_since_min = earliest
end

-- Whether the ledger went back in time for this instance, and if so the usage it lost (nil: it did not). It did when
-- its record is older than the exchange the sidecar last saw it apply (acknowledged), or when it has no record although
-- that exchange was composed less than a horizon ago: a record is forgotten at the earliest a horizon after the
-- instance's last exchange, so only a rollback explains its absence. Past that the two cannot be told apart and nothing
-- is charged again (never twice). The loss is the sidecar's acknowledged total minus the record's (0 without a record);
-- a total that is not larger (a record begun anew after the horizon) gives 0.
function rolled_back_usage(ex, record)
  if ex.acknowledged == '0' then return nil end
  if record ~= nil then
    if decimal_compare(record.sequence, ex.acknowledged) < 0 then
      return max(0, ex.acknowledged_usage - record.answer.used_total)
    end
    return nil
  end
  if ex.acknowledged_at ~= nil and NOW < ex.acknowledged_at + INSTANCE_HORIZON then return ex.acknowledged_usage end
  return nil
end

-- A usage total plus one report, begun anew at the report when it would pass 2^53 (exact in doubles).
function add_to_total(total, used)
  if total > MAX_AMOUNT - used then return used end
  return total + used
end

function renew(g)
  -- A recurring grant that expired renews only for the boundaries before its expiry.
  local upto = NOW
  if g.expires ~= nil and g.expires <= NOW then upto = g.expires - 1 end
  local index = period_index_at(g.period, g.effective, upto)
  while g.period_index < index and g.amount <= MAX_ACCOUNT_TOTAL - account.granted do
    -- AccountBook.Renew (docs/design.md#renewal-run): three states repeat the same period; a run of k >= 2 of them is
    -- one step (bounded work for an idle grant), of as many periods as fit under the total cap and before the expiry
    -- (index). Exact in doubles: every operand is an integer <= 2^53 and idiv divides exactly.
    local amount = g.amount
    local fit = min(index - g.period_index, idiv(MAX_ACCOUNT_TOTAL - account.granted, amount))
    local run, kind = 0, nil
    if g.remaining == 0 and account.debt >= amount then
      run, kind = min(fit, idiv(account.debt, amount)), 'debt'
    elseif account.debt == 0 and g.remaining <= g.rollover then
      run, kind = min(fit, idiv(g.rollover - g.remaining, amount) + 1), 'climb'
    elseif account.debt == 0 and g.remaining - amount == g.rollover then
      run, kind = fit, 'steady'
    end
    if run >= 2 then
      local total = run * amount
      g.period_index = g.period_index + run
      if kind == 'debt' then
        -- Nothing carried in: each period renews `amount` and pays all of it to debt (remaining stays 0).
        g.carried = 0
        account.granted = account.granted + total
        append(RENEWED, total, g.id, '')
        account.debt = account.debt - total
        account.consumed = account.consumed + total
        append(OVERAGE_PAID, total, g.id, '')
      elseif kind == 'climb' then
        -- Each period carries all of remaining (at most rollover_max at its boundary) and expires nothing.
        g.carried = g.remaining + total - amount
        g.remaining = g.remaining + total
        account.granted = account.granted + total
        append(RENEWED, total, g.id, '')
      else
        -- Steady: each period expires `amount`, carries rollover_max and renews `amount`.
        g.carried = g.rollover
        account.expired = account.expired + total
        append(EXPIRED, total, g.id, '')
        account.granted = account.granted + total
        append(RENEWED, total, g.id, '')
      end
    else
      g.period_index = g.period_index + 1
      local unused = g.remaining
      local kept = min(unused, g.rollover)
      if unused - kept > 0 then
        account.expired = account.expired + unused - kept
        append(EXPIRED, unused - kept, g.id, '')
      end
      g.remaining = kept + g.amount
      g.carried = kept
      account.granted = account.granted + g.amount
      append(RENEWED, g.amount, g.id, '')
      pay_off_debt(g)
    end
  end
end

function pay_off_debt(g)
  local paid = min(account.debt, g.remaining)
  if paid <= 0 then return end
  account.debt = account.debt - paid
  g.remaining = g.remaining - paid
  account.consumed = account.consumed + paid
  append(OVERAGE_PAID, paid, g.id, '')
end

-- Usage: the lease's slices (inactive grants' first, then burn order), then its overage allowance, then central
-- credits (a commit above its hold, or a lease lost to reclaim), the rest is debt.
function apply_usage(lease, used, source, ended)
  if used == 0 then return end
  local covered, left = 0, used
  for _, g in ipairs(slice_grants_in_usage_order(lease, ended)) do
    local x = min(left, lease.slices[g.id])
    take_from_slice(lease, g, x)
    covered = covered + x
    left = left - x
  end
  local from_allowance = min(left, lease.overage)
  lease.overage = lease.overage - from_allowance
  left = left - from_allowance
  for _, g in ipairs(grants) do
    if left == 0 then break end
    if is_active(g) then
      local x = min(left, g.remaining)
      g.remaining = g.remaining - x
      covered = covered + x
      left = left - x
    end
  end
  account.consumed = account.consumed + covered
  local overage = from_allowance + left
  account.debt = account.debt + overage
  if covered > 0 then append(CONSUMED, covered, '', source) end
  if overage > 0 then append(OVERAGE, overage, '', source) end
end

-- Give back what burns last, so the lease keeps what should be spent first.
function return_credits(lease, amount, ended)
  if amount <= 0 then return end
  local list = slice_grants_in_burn_order(lease)
  for i = #list, 1, -1 do
    if amount <= 0 then break end
    local g = list[i]
    local x = min(amount, lease.slices[g.id])
    take_from_slice(lease, g, x)
    give_back(g, x, ended)
    amount = amount - x
  end
end

-- Unused credits of grants voided or expired since they were leased. Credits still held for open reservations
-- count against those slices first (usage is charged to them first too), so only what exceeds the holds goes back,
-- last-burning first.
function revoke_inactive_slices(lease, held, ended)
  local inactive = 0
  for id, amount in pairs(lease.slices) do
    if not is_live(find_grant(id), ended) then inactive = inactive + amount end
  end
  local revocable = max(0, inactive - held)
  if revocable <= 0 then return 0 end
  local revoked = 0
  local list = slice_grants_in_burn_order(lease)
  for i = #list, 1, -1 do
    if revocable <= 0 then break end
    local g = list[i]
    if not is_live(g, ended) then
      local x = min(revocable, lease.slices[g.id])
      take_from_slice(lease, g, x)
      give_back(g, x, ended)
      revoked = revoked + x
      revocable = revocable - x
    end
  end
  return revoked
end

-- Unused leased credits go back to their grant, or to voided/expired if the grant is gone. Credits of a recurring
-- grant's ended period are carried into the current period as far as the rollover maximum leaves room (with what the
-- boundary carried); the rest expires.
function give_back(g, amount, ended)
  if amount == 0 then return end
  if is_active(g) and ended[g.id] then
    local carried = min(amount, max(0, g.rollover - g.carried))
    g.remaining = g.remaining + carried
    g.carried = g.carried + carried
    if amount - carried > 0 then
      account.expired = account.expired + amount - carried
      append(EXPIRED, amount - carried, g.id, '')
    end
  elseif is_active(g) then
    g.remaining = g.remaining + amount
  elseif g.voided ~= nil then
    account.voided = account.voided + amount
    append(VOIDED, amount, g.id, '')
  else
    account.expired = account.expired + amount
    append(EXPIRED, amount, g.id, '')
  end
end

function take(lease, instance, want, min_acceptable, overage_possible)
  local avail = available()
  local holders = 1
  for other, l in pairs(leases) do
    if other ~= instance and lease_credits(l) > 0 then holders = holders + 1 end
  end
  -- At most a fair share and a fraction of what is left; near zero that is exactly what the request needs.
  -- When overage may cover the rest, whatever credits are left are acceptable.
  local cap = max(1, min(floor(avail * MAX_LEASE_SHARE), idiv(avail, holders)))
  if overage_possible then min_acceptable = min(min_acceptable, avail) end
  local give = min(min(want, max(min_acceptable, cap)), avail)
  if give <= 0 or give < min_acceptable then
    if holders > 1 then account.reclaim_at = NOW end
    return 0
  end
  local left = give
  for _, g in ipairs(grants) do
    if left == 0 then break end
    if is_active(g) and g.remaining > 0 then
      local x = min(left, g.remaining)
      g.remaining = g.remaining - x
      lease.slices[g.id] = (lease.slices[g.id] or 0) + x
      left = left - x
    end
  end
  return give
end

-- A lease never outlives the earliest expiry of the credits it carries, nor the period of a recurring grant's credits
-- (its next boundary, unless the total cap held that renewal back); slices of inactive grants stay only for credits
-- already held and do not shorten it.
function lease_expiry(lease)
  local expiry = NOW + LEASE_TTL
  for id in pairs(lease.slices) do
    local g = find_grant(id)
    if is_active(g) then
      if g.expires ~= nil and g.expires < expiry then expiry = g.expires end
      if g.period ~= 0 then
        local next_boundary = boundary_at(g.period, g.effective, g.period_index + 1)
        if next_boundary > NOW and next_boundary < expiry then expiry = next_boundary end
      end
    end
  end
  return expiry
end

function available()
  local sum = 0
  for _, g in ipairs(grants) do
    if is_active(g) then sum = sum + g.remaining end
  end
  return sum
end

function overage_headroom()
  if account.mode ~= SOFT then return 0 end
  local out = 0
  for _, l in pairs(leases) do out = out + l.overage end
  return max(0, account.overage_limit - account.debt - out)
end

function reclaim_pending()
  return account.reclaim_at ~= nil and NOW < account.reclaim_at + RECLAIM_WINDOW
end

-- The answer to an exchange that changes nothing: a stale sequence, or (instance_expired) one refused past the
-- instance record horizon, which also tells the sidecar its lease is gone.
function snapshot(instance, instance_expired, used_total)
  local l = leases[instance]
  return {
    status = 1, granted = 0, overage_granted = 0, revoked = 0, lease_lost = instance_expired and 1 or 0,
    lease_credits = l and lease_credits(l) or 0, lease_expires_at = l and l.expires or NOW, available = available(),
    overage_headroom = overage_headroom(), reclaim_requested = reclaim_pending() and 1 or 0,
    account_status = account.status, overage_mode = account.mode, overage_limit = account.overage_limit,
    low_balance_threshold = account.low_balance_threshold, unit = account.unit,
    instance_expired = instance_expired and 1 or 0, used_total = used_total, lease_overage = l and l.overage or 0,
    store_rolled_back = 0, usage_restored = 0,
  }
end

-- Ledger entry ids are <n>-0 from a counter in the account hash: increasing whatever the callers' clocks say.
function append(kind, amount, grant_id, source)
  account.entry_seq = account.entry_seq + 1
  redis.call('XADD', LEDGER_KEY, 'MAXLEN', MAX_ENTRIES, int(account.entry_seq) .. '-0',
    'kind', int(kind), 'amount', int(amount), 'grant', grant_id, 'source', source, 'at', int(NOW))
end

---------------------------------------------------------------------------------------------------------------------
-- Entry points: one function per ICentralLedger method (RedisLedger.cs). Each reads the account, applies the rule,
-- saves what changed and replies.

local function account_reply()
  local b = balance()
  b.status = 1
  b.account_status = account.status
  b.overage_mode = account.mode
  b.overage_limit = account.overage_limit
  b.low_balance_threshold = account.low_balance_threshold
  b.unit = account.unit
  b.parent_id = account.parent_id
  return pack(REPLY.account, b)
end

local function grant_reply(g)
  return pack(REPLY.grant, {
    grant_id = g.id, amount = g.amount, remaining = g.remaining, priority = g.priority, category = g.category,
    effective_at = g.effective, effective_given = g.explicit and 1 or 0, expires_at = opt_int(g.expires),
    voided_at = opt_int(g.voided), period = g.period, rollover_max = g.rollover, created_at = g.created,
    period_index = g.period_index, metadata = g.meta,
  })
end

local function opened(keys, args)
  begin(keys, args)
  if not load_account() then return false end
  load_book()
  return true
end

-- args[9..21]: instance, sequence (decimal string), used, return, return_overage, want, min_acceptable,
-- overage_want, held, composed_at (ms, '' = not given), acknowledged (decimal string; absent = '0'),
-- acknowledged_usage, acknowledged_at (ms, '' = not given); args[22]: max label sets, args[23..]: label set,
-- amount, ... (absent: no labelled usage). Reply: { 0 } unknown account, or REPLY.exchange.
local function exchange_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  USAGE_KEY, MAX_LABEL_SETS, label_overflow = keys[7], tonumber(args[22] or '0'), 0
  local label_usage = {}
  for i = 23, #args do label_usage[#label_usage + 1] = args[i] end
  local answer = exchange({
    instance = args[9], sequence = args[10], used = tonumber(args[11]), return_amount = tonumber(args[12]),
    return_overage = tonumber(args[13]), want = tonumber(args[14]), min_acceptable = tonumber(args[15]),
    overage_want = tonumber(args[16]), held = tonumber(args[17]), composed_at = tonumber(args[18]),
    acknowledged = args[19] or '0', acknowledged_usage = tonumber(args[20] or '0'),
    acknowledged_at = tonumber(args[21] or ''), label_usage = label_usage,
  })
  save()
  -- Told once: a repeated or refused exchange added nothing (add_label_usage did not run).
  answer.label_overflow = label_overflow
  -- Events not yet relayed (this call's, or an earlier relay's that failed): the sidecar relays them.
  answer.events_pending = redis.call('XLEN', EVENTS_KEY)
  -- Always the current parent, never the recorded answer's (it is not part of the record): the engine charges that
  -- path (docs/design.md#account-tree).
  answer.parent_id = account.parent_id
  return pack(REPLY.exchange, answer)
end

-- Creates the account or replaces its policy; grants and balance are kept. args[9..13]: status, overage_mode,
-- overage_limit, low_balance_threshold, unit; args[14]: parent_id ('' = a root); args[15]: the parent the caller read
-- before it checked the tree ('' = a root, '-' = no such account), or '?': the caller checked nothing, so the call
-- applies only if the parent stays what it is (a new account: a root), else { -5 } and the caller checks the tree and
-- calls again. The tree checks that span slots (the parent exists, no cycle, depth) are RedisLedger's; this call
-- refuses what is decided on the account's own slot: { -4 } when the account's parent (or existence) is no longer what
-- the caller read (it reads and checks again), and { -3, leased, overage_leased } when the parent would change while
-- sidecars hold a lease on the account (AccountTree.Leased). Otherwise REPLY.account. Absent args[14..15] (a caller
-- before the tree): the parent is kept.
local function upsert_account_entry(keys, args)
  begin(keys, args)
  local existed = load_account()
  if not existed then new_account() end
  local parent, expected = args[14] or account.parent_id, args[15]
  if expected == '?' then
    if parent ~= account.parent_id then return { -5 } end
  elseif expected ~= nil and expected ~= (existed and account.parent_id or '-') then
    return { -4 }
  end
  load_book()
  advance()
  if existed and parent ~= account.parent_id then
    local b = balance()
    if b.leased > 0 or b.overage_leased > 0 then
      save()
      return { -3, b.leased, b.overage_leased }
    end
  end
  account.status = tonumber(args[9])
  account.mode = tonumber(args[10])
  account.overage_limit = tonumber(args[11])
  account.low_balance_threshold = tonumber(args[12])
  account.unit = args[13]
  if parent ~= account.parent_id then
    if parent == '' then
      redis.call('HDEL', ACCOUNT_KEY, 'parent_id')
    else
      redis.call('HSET', ACCOUNT_KEY, 'parent_id', parent)
    end
    account.parent_id = parent
  end
  save()
  return account_reply()
end

-- Applies what time has made due first (like every read). Reply: { 0 } unknown account, or REPLY.account.
local function get_account_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  advance()
  save()
  return account_reply()
end

-- args[9..17]: grant_id, amount, priority, category, effective_at ('' = now), expires_at ('' = never), recurrence
-- period (0 = none), rollover_max, metadata (opaque JSON).
-- Reply: { 0 } unknown account; { 1, REPLY.grant } created; { 2, REPLY.grant } exists; { -2 } over the total.
local function grant_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  local status, g = add_grant({
    id = args[9], amount = tonumber(args[10]), priority = tonumber(args[11]), category = tonumber(args[12]),
    effective = opt_number(args[13] ~= '' and args[13] or nil), expires = opt_number(args[14] ~= '' and args[14] or nil),
    period = tonumber(args[15]), rollover = tonumber(args[16]), meta = args[17],
  })
  save()
  if status == -2 then return { -2 } end
  return { status, grant_reply(g) }
end

-- args[9]: grant_id. Reply: { 0 } unknown account; { -1 } unknown grant; { 1, REPLY.grant }.
local function void_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  local g = void(args[9])
  save()
  if not g then return { -1 } end
  return { 1, grant_reply(g) }
end

-- In burn-down order. args[9]: '1' to include inactive grants. Reply: { 0 } unknown account, or
-- { 1, REPLY.grant, REPLY.grant, ... }.
local function list_grants_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  local reply = { 1 }
  for _, g in ipairs(list_grants(args[9] == '1')) do reply[#reply + 1] = grant_reply(g) end
  save()
  return reply
end

-- args[9]: the cursor ('' = from the oldest kept entry; else the last entry id of the previous page, exclusive),
-- args[10]: limit. Reply: { 0 } unknown account, or { 1, next_cursor ('' at the end), { { id, { field, value, ...
-- } }, ... } }.
local function list_entries_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  advance()
  save()
  local start = '-'
  if args[9] ~= '' then start = '(' .. args[9] end
  local limit = tonumber(args[10])
  local rows = redis.call('XRANGE', LEDGER_KEY, start, '+', 'COUNT', limit + 1)
  local next_cursor = ''
  if #rows > limit then
    rows[limit + 1] = nil
    next_cursor = rows[limit][1]
  end
  return { 1, next_cursor, rows }
end

-- The account's usage per label set. Reply: { 0 } unknown account, or { 1, { set, credits, set, credits, ... } }.
local function usage_entry(keys, args)
  begin(keys, args)
  if redis.call('EXISTS', ACCOUNT_KEY) == 0 then return { 0 } end
  return { 1, redis.call('HGETALL', keys[7]) }
end

-- Applies what time has made due (like a read), then warns once of each active grant with credits left centrally
-- whose expires_at is within the lead time (docs/design.md#grant-expiring; EmbeddedLedger.TouchAsync). The grants
-- already warned are kept in the account hash (ev_warned: their ids, space-separated, in burn-down order); an id
-- leaves it when its grant is no longer active (expired, voided, drained), so the list stays as short as the active
-- grants. args[9]: the lead time (ms, > 0). Reply: { 0 } unknown account, or { 1, events_pending }.
local function touch_entry(keys, args)
  if not opened(keys, args) then return { 0 } end
  advance()
  local lead = tonumber(args[9])
  local warned = {}
  for id in gmatch(account_raw.ev_warned or '', '%S+') do warned[id] = true end
  local kept = {}
  for _, g in ipairs(grants) do
    if is_active(g) and g.expires ~= nil and g.expires > NOW then
      if warned[g.id] then
        kept[#kept + 1] = g.id
      elseif g.remaining > 0 and g.expires - NOW <= lead then
        expiring_now[#expiring_now + 1] = { g.id, g.remaining }
        kept[#kept + 1] = g.id
      end
    end
  end
  local value = concat(kept, ' ')
  if value ~= (account_raw.ev_warned or '') then
    if value == '' then
      redis.call('HDEL', ACCOUNT_KEY, 'ev_warned')
    else
      redis.call('HSET', ACCOUNT_KEY, 'ev_warned', value)
    end
  end
  save()
  return { 1, redis.call('XLEN', EVENTS_KEY) }
end

-- The reply layouts, for the test that compares them with ScriptReplies.cs: { name, { field, ... } } per reply.
local function reply_fields_entry()
  return { { 'exchange', REPLY.exchange }, { 'account', REPLY.account }, { 'grant', REPLY.grant } }
end

local VERSION = '{version}'
redis.register_function('quota_exchange_' .. VERSION, exchange_entry)
redis.register_function('quota_upsert_account_' .. VERSION, upsert_account_entry)
redis.register_function('quota_get_account_' .. VERSION, get_account_entry)
redis.register_function('quota_grant_' .. VERSION, grant_entry)
redis.register_function('quota_void_' .. VERSION, void_entry)
redis.register_function('quota_list_grants_' .. VERSION, list_grants_entry)
redis.register_function('quota_list_entries_' .. VERSION, list_entries_entry)
redis.register_function('quota_touch_' .. VERSION, touch_entry)
redis.register_function{
  function_name = 'quota_usage_' .. VERSION, callback = usage_entry, flags = { 'no-writes' },
}
redis.register_function{
  function_name = 'quota_reply_fields_' .. VERSION, callback = reply_fields_entry, flags = { 'no-writes' },
}

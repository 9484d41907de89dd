namespace QuotaSidecar.Core.Leases;

/// <summary>What an exchange with the store is for.</summary>
/// <param name="Need">Credits a waiting request needs in total from the lease (0: none waiting).</param>
/// <param name="OverageNeed">Overage allowance a waiting request needs beyond the lease's credits.</param>
/// <param name="ReturnAll">Give back every unheld credit (idle account, shutdown, reclaim).</param>
/// <param name="Refill">Top the lease up to its target.</param>
internal readonly record struct ExchangeIntent(long Need = 0, long OverageNeed = 0, bool ReturnAll = false, bool Refill = false);

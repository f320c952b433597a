package dev.lbipam.ipam.netbox;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationOutcome.Rejected;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendHealth;
import dev.lbipam.ipam.remote.Resilience;
import dev.lbipam.ipam.spi.BackendMetric;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.HoldOutcome.Conflict;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Addresses allocated in, and recorded by, NetBox. NetBox is the source of truth: every address a
 * Service of this cluster holds is an IP address record carrying the tag, the claim custom field
 * ({@link ClaimKey}, unique) and the cluster custom field.
 *
 * <ul>
 *   <li><b>allocate</b>: per family, look the claim up (reuse what is found), else {@code POST
 *       .../available-ips/} with a one-element list on each pool in order; 409 means try the next
 *       pool. A timeout or 5xx is retried with backoff, and every retry looks the claim up first,
 *       so a lost reply never yields a second address. A 400 from the unique claim field also
 *       leads to the lookup.
 *   <li><b>hold</b> (restore, static addresses): the record for the address the Service shows is
 *       created with {@code POST /api/ipam/ip-addresses/} if missing; if someone else holds it, a
 *       {@link HoldOutcome.Conflicted} names them. The address is never moved. An unmanaged
 *       holding (another load balancer's Service, or an address claimed in the cluster that no
 *       Service shows yet) is recorded as {@code reserved} where it lies in a configured pool, so
 *       that NetBox does not offer it; a Service of this cluster that shows it takes the record over.
 *   <li><b>release</b>: fetch, check the claim is still ours, DELETE (If-Match on 4.6+); 404 is
 *       done.
 *   <li><b>retainOnly</b> (GC): lists this cluster's records (tag and cluster field, paginated);
 *       records whose owner is gone are released once they have been orphaned for the grace
 *       period. Records of other clusters, and records whose claim is not ours, are never touched.
 * </ul>
 *
 * <p>A cache of this cluster's claims (filled by those listings and by every call) answers {@link
 * #hold} without network calls when nothing changed; {@link #allocate} trusts only its misses.
 * Thread-safe; calls for different owners run in parallel and NetBox serialises the allocations.
 */
public final class NetBoxBackend implements IpamBackend {
  private static final Logger LOG = LoggerFactory.getLogger(NetBoxBackend.class);
  private static final Duration SETUP_RETRY = Duration.ofSeconds(15);

  private final NetBoxSettings settings;
  private final dev.lbipam.ipam.remote.CallMetrics stats = new dev.lbipam.ipam.remote.CallMetrics(
      "retry", "claim_found_after_failure", "claim_clash_reused", "conflict", "gc_released", "claim_dropped_by_netbox");
  private final CircuitBreaker breaker;
  private final Retry retry;
  private final NetBoxClient client;

  private volatile PoolConfig config = PoolConfig.empty();
  private volatile List<PoolStats> usage = List.of();
  private final Map<PoolRef, NetBoxPool> resolved = new ConcurrentHashMap<>();
  /** Claim text -> this cluster's record for it. Authoritative once {@link #claimsComplete}. */
  private final Map<String, NetBoxRecord> claims = new ConcurrentHashMap<>();
  private volatile boolean claimsComplete;
  private final Map<OwnerRef, Long> orphanSince = new ConcurrentHashMap<>();
  private final AtomicBoolean restorePending = new AtomicBoolean();

  private final Object setupLock = new Object();
  private volatile NetBoxSetup.Result setup;
  private volatile String setupFailure;
  private volatile long setupFailedAt;

  public NetBoxBackend(NetBoxSettings settings) {
    this.settings = settings;
    this.breaker = Resilience.breaker("netbox", settings.circuitOpenDuration(), 1, failure -> true);
    this.retry = Resilience.retry("netbox", settings.retryAttempts(), settings.retryBackoff(), 0.5,
        t -> t instanceof NetBoxUnavailableException u && !u.circuitOpen(), stats);
    this.client = new NetBoxClient(settings, breaker, stats);
  }

  /**
   * Runs the set-up. A definite refusal (bad token, missing permission, unfit custom field) is
   * thrown; an unreachable NetBox is logged and the set-up retried before the next call.
   */
  void start() {
    try {
      ensureSetup();
    } catch (NetBoxUnavailableException e) {
      LOG.warn("netbox not reachable at start; set-up will be retried error=\"{}\"", e.getMessage());
    }
  }

  private void ensureSetup() {
    if (setup != null) {
      return;
    }
    synchronized (setupLock) {
      if (setup != null) {
        return;
      }
      setup = NetBoxSetup.ensure(client, settings);
      setupFailure = null;
    }
  }

  /** Empty when the set-up is done; otherwise why not (and it is retried now and then). */
  private Optional<String> setupProblem() {
    if (setup != null) {
      return Optional.empty();
    }
    String failed = setupFailure;
    if (failed != null && System.nanoTime() - setupFailedAt < SETUP_RETRY.toNanos()) {
      return Optional.of(failed);
    }
    try {
      ensureSetup();
      return Optional.empty();
    } catch (NetBoxUnavailableException e) {
      return Optional.of("NetBox unavailable: " + e.getMessage());
    } catch (NetBoxApiException e) {
      setupFailure = e.getMessage();
      setupFailedAt = System.nanoTime();
      LOG.error("netbox set-up failed error=\"{}\"", e.getMessage());
      return Optional.of(e.getMessage());
    }
  }

  NetBoxClient client() {
    return client;
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  dev.lbipam.ipam.remote.CallMetrics stats() {
    return stats;
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration and pools

  @Override
  public List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
    PoolConfig parsed = PoolConfig.parse(poolConfig.orElse(Map.of()));
    config = parsed;
    resolved.clear(); // re-read pools from NetBox: someone may have changed them there
    return parsed.problems();
  }

  /** A usable pool and the entry that named it. */
  private record Candidate(PoolConfig.Entry entry, NetBoxPool pool) {
    @Override
    public String toString() {
      return entry.key() + " " + pool;
    }
  }

  private record Resolution(List<Candidate> pools, List<String> problems) {
    List<Candidate> of(IpFamily family) {
      return pools.stream().filter(c -> c.pool().family() == family).toList();
    }
  }

  /** Finds each entry in NetBox (cached). Unavailability is thrown; a missing pool is a problem. */
  private Resolution resolveAll(List<PoolConfig.Entry> entries) {
    List<Candidate> pools = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (PoolConfig.Entry entry : entries) {
      try {
        Optional<NetBoxPool> pool = resolve(entry.ref());
        if (pool.isPresent()) {
          pools.add(new Candidate(entry, pool.get()));
        } else {
          problems.add(entry.key() + ": " + entry.ref().kind().word() + " " + entry.ref() + " not found in NetBox");
        }
      } catch (NetBoxApiException e) {
        problems.add(entry.key() + ": " + entry.ref() + ": " + e.getMessage());
      }
    }
    return new Resolution(pools, problems);
  }

  private Optional<NetBoxPool> resolve(PoolRef ref) {
    NetBoxPool cached = resolved.get(ref);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<NetBoxPool> found;
    if (ref instanceof PoolRef.ById byId) {
      found = client.getPool(byId.kind(), byId.id());
    } else if (ref instanceof PoolRef.PrefixByCidr cidr) {
      found = client.findPrefix(cidr.prefix(), vrfId(cidr.vrf()));
    } else {
      PoolRef.RangeByBounds bounds = (PoolRef.RangeByBounds) ref;
      found = client.findRange(bounds.range(), vrfId(bounds.vrf()));
    }
    found.ifPresent(pool -> resolved.put(ref, pool));
    return found;
  }

  /** The VRF's id, empty for the global table; a VRF that does not exist is an error. */
  private Optional<Long> vrfId(Optional<String> name) {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    Optional<Long> id = client.findVrfId(name.get());
    if (id.isEmpty()) {
      throw new NetBoxApiException("VRF \"" + name.get() + "\" not found in NetBox", 404);
    }
    return id;
  }

  // ---------------------------------------------------------------------------------------------
  // Allocation

  private sealed interface Claim {
    record Got(NetBoxRecord record, String poolKey) implements Claim {}

    record Exhausted(String message) implements Claim {}

    record Refused(RejectReason reason, String message) implements Claim {}
  }

  @Override
  public AllocationOutcome allocate(AllocationRequest request) {
    OwnerRef owner = request.owner();
    if (!owner.clusterId().equals(settings.clusterId())) {
      return new Rejected(RejectReason.INVALID_REQUEST, "owner " + owner + " is not of cluster " + settings.clusterId());
    }
    Optional<String> problem = setupProblem();
    if (problem.isPresent()) {
      return new Rejected(RejectReason.BACKEND_UNAVAILABLE, problem.get());
    }
    PoolConfig cfg = config;
    PoolConfig.Selection selection = cfg.select(owner.namespace());
    if (selection.keys().isEmpty()) {
      return new Rejected(RejectReason.NO_POOL, "no NetBox pool for namespace " + owner.namespace() + ": set "
          + PoolConfig.PREFIX_KEY + owner.namespace() + " / " + PoolConfig.RANGE_KEY + owner.namespace() + " or "
          + PoolConfig.PREFIX_KEY + "global / " + PoolConfig.RANGE_KEY + "global in the pool ConfigMap"
          + selection.problems().stream().map(p -> "; " + p.key() + ": " + p.problem()).collect(Collectors.joining()));
    }
    try {
      Resolution resolution = resolveAll(selection.entries());
      List<String> notes = new ArrayList<>();
      selection.problems().forEach(p -> notes.add(p.key() + ": " + p.problem()));
      notes.addAll(resolution.problems());
      if (resolution.pools().isEmpty()) {
        return new Rejected(RejectReason.INVALID_CONFIG, "no usable NetBox pool in " + String.join(", ", selection.keys())
            + (notes.isEmpty() ? "" : ": " + String.join("; ", notes)));
      }
      return allocate(request, selection, resolution, cfg.serviceInterface(owner.namespace()), notes);
    } catch (NetBoxUnavailableException e) {
      return new Rejected(RejectReason.BACKEND_UNAVAILABLE, "NetBox unavailable, will retry (claims are looked up first, "
          + "so nothing is allocated twice): " + e.getMessage());
    } catch (NetBoxApiException e) {
      return new Rejected(RejectReason.BACKEND_UNAVAILABLE, e.getMessage());
    }
  }

  private AllocationOutcome allocate(
      AllocationRequest request, PoolConfig.Selection selection, Resolution resolution, Optional<String> serviceInterface,
      List<String> notes) {
    OwnerRef owner = request.owner();
    String keys = String.join(", ", selection.keys());
    List<IpFamily> families;
    boolean require = request.policy() == FamilyPolicy.REQUIRE_DUAL_STACK;
    if (request.policy() == FamilyPolicy.SINGLE_STACK) {
      IpFamily family = !request.families().isEmpty() ? request.families().get(0)
          : !resolution.of(IpFamily.IPV4).isEmpty() || resolution.of(IpFamily.IPV6).isEmpty() ? IpFamily.IPV4 : IpFamily.IPV6;
      if (resolution.of(family).isEmpty()) {
        return new Rejected(RejectReason.NO_POOL, "no NetBox pool for " + family.kubernetesName() + " in " + keys);
      }
      families = List.of(family);
    } else {
      IpFamily primary = request.families().isEmpty() ? IpFamily.IPV4 : request.families().get(0);
      IpFamily secondary = primary == IpFamily.IPV4 ? IpFamily.IPV6 : IpFamily.IPV4;
      if (require && (resolution.of(primary).isEmpty() || resolution.of(secondary).isEmpty())) {
        return new Rejected(RejectReason.NO_POOL, "service requires dual-stack, but the NetBox pools in " + keys
            + " do not cover both IPv4 and IPv6");
      }
      families = new ArrayList<>();
      for (IpFamily family : List.of(primary, secondary)) {
        if (resolution.of(family).isEmpty()) {
          notes.add("PreferDualStack: no NetBox pool for " + family.kubernetesName() + " in " + keys);
        } else {
          families.add(family);
        }
      }
    }
    List<IpAddress> addresses = new ArrayList<>();
    String poolKey = null;
    Rejected firstFailure = null;
    for (IpFamily family : families) {
      Claim claim = claimFamily(owner, family, resolution.of(family));
      if (claim instanceof Claim.Got got) {
        addresses.add(got.record().address());
        poolKey = poolKey == null ? got.poolKey() : poolKey;
      } else if (claim instanceof Claim.Refused refused) {
        return new Rejected(refused.reason(), refused.message());
      } else {
        Rejected exhausted = new Rejected(RejectReason.POOL_EXHAUSTED, ((Claim.Exhausted) claim).message());
        if (require || families.size() == 1) {
          return exhausted;
        }
        firstFailure = firstFailure == null ? exhausted : firstFailure;
        notes.add("PreferDualStack: " + exhausted.message());
      }
    }
    if (addresses.isEmpty()) {
      return firstFailure != null ? firstFailure
          : new Rejected(RejectReason.NO_POOL, "no NetBox pool for the service's IP families in " + keys);
    }
    return new Allocated(addresses, poolKey, serviceInterface, notes);
  }

  /** One address of one family: the existing claim, or a new one from the first pool with room. */
  private Claim claimFamily(OwnerRef owner, IpFamily family, List<Candidate> pools) {
    ClaimKey key = new ClaimKey(owner, family);
    AtomicInteger attempt = new AtomicInteger();
    return retry.executeSupplier(
        () -> {
          boolean firstTry = attempt.getAndIncrement() == 0;
          Optional<NetBoxRecord> existing = lookupTrustingMisses(key, firstTry);
          if (existing.isPresent()) {
            if (!firstTry) {
              stats.count("claim_found_after_failure");
              LOG.info("claim found after a failed call, reused claim={} address={}", key, existing.get().address());
            }
            return new Claim.Got(existing.get(), poolKeyOf(existing.get(), pools));
          }
          List<String> full = new ArrayList<>();
          for (Candidate candidate : pools) {
            NetBoxClient.Allocation result = client.allocate(candidate.pool(), element(owner, key, Use.SERVICE));
            if (result instanceof NetBoxClient.Allocation.Created created) {
              Optional<String> unclaimed = withoutOurClaim(created.record(), key);
              if (unclaimed.isPresent()) {
                return discardUnclaimed(created.record(), candidate, unclaimed.get());
              }
              remember(key, created.record());
              LOG.info("allocated in netbox address={} pool=\"{}\" id={} claim={}", created.record().display(), candidate,
                  created.record().id(), key);
              return new Claim.Got(created.record(), candidate.entry().key());
            }
            if (result instanceof NetBoxClient.Allocation.Full) {
              full.add(candidate + " is full");
            } else if (result instanceof NetBoxClient.Allocation.PoolMissing) {
              resolved.remove(candidate.entry().ref());
              full.add(candidate + " no longer exists in NetBox (or the token cannot see it)");
            } else {
              NetBoxClient.Allocation.Refused refused = (NetBoxClient.Allocation.Refused) result;
              if (refused.status() == 403) {
                return new Claim.Refused(RejectReason.BACKEND_UNAVAILABLE, refused.message());
              }
              // 400: most likely our unique claim exists already (an earlier reply was lost)
              Optional<NetBoxRecord> again = lookup(key, false);
              if (again.isPresent()) {
                stats.count("claim_clash_reused");
                return new Claim.Got(again.get(), poolKeyOf(again.get(), pools));
              }
              return new Claim.Refused(RejectReason.INVALID_CONFIG,
                  "NetBox refused the address record in " + candidate + ": " + refused.message());
            }
          }
          return new Claim.Exhausted("no free address in NetBox for " + family.kubernetesName() + ": " + String.join("; ", full));
        });
  }

  /**
   * What is wrong when NetBox returns a new record without our claim and cluster fields: a NetBox
   * before 4.5.8 silently drops custom fields it does not know (someone deleted ours, or limited
   * it to another object type), and such a record would protect nothing.
   */
  private Optional<String> withoutOurClaim(NetBoxRecord record, ClaimKey key) {
    if (!record.customField(settings.claimField()).map(key.text()::equals).orElse(false)) {
      return Optional.of("custom field " + settings.claimField() + " is " + record.customField(settings.claimField()).orElse("missing"));
    }
    if (!record.customField(settings.clusterField()).map(settings.clusterId()::equals).orElse(false)) {
      return Optional.of("custom field " + settings.clusterField() + " is " + record.customField(settings.clusterField()).orElse("missing"));
    }
    return Optional.empty();
  }

  /** Deletes a record NetBox created without our claim (best effort) and refuses the allocation. */
  private Claim discardUnclaimed(NetBoxRecord record, Candidate candidate, String problem) {
    stats.count("claim_dropped_by_netbox");
    String message = "NetBox stored " + record.display() + " in " + candidate + " without our claim (" + problem
        + "): check that the custom fields " + settings.claimField() + " and " + settings.clusterField()
        + " exist for ipam.ipaddress (docs/netbox.md); the address is not used";
    LOG.error("netbox dropped the claim address={} id={} problem=\"{}\"", record.display(), record.id(), problem);
    try {
      NetBoxClient.Deletion deleted = client.deleteAddress(record.id(), Optional.empty());
      LOG.info("deleted the unclaimed record id={} result={}", record.id(), deleted);
    } catch (RuntimeException e) {
      LOG.warn("could not delete the unclaimed record id={} error=\"{}\"; delete it in NetBox", record.id(), e.getMessage());
    }
    setup = null;
    return new Claim.Refused(RejectReason.INVALID_CONFIG, message);
  }

  private static String poolKeyOf(NetBoxRecord record, List<Candidate> pools) {
    return pools.stream().filter(c -> c.pool().contains(record.address())).map(c -> c.entry().key()).findFirst().orElse("netbox");
  }

  /** The body of a new record: tag, claim, cluster, DNS name, description, status. */
  private JsonObject element(OwnerRef owner, ClaimKey key, Use use) {
    JsonObject element = new JsonObject();
    element.addProperty("status", use.status);
    element.addProperty("dns_name", dnsName(owner, settings.dnsSuffix()));
    element.addProperty("description", description(owner, use));
    JsonArray tags = new JsonArray();
    JsonObject tag = new JsonObject();
    tag.addProperty("slug", settings.tag());
    tags.add(tag);
    element.add("tags", tags);
    JsonObject cfs = new JsonObject();
    cfs.addProperty(settings.claimField(), key.text());
    cfs.addProperty(settings.clusterField(), settings.clusterId());
    element.add("custom_fields", cfs);
    return element;
  }

  /**
   * {@code <name>.<namespace>[.<suffix>]}: NetBox's DNS names allow letters, digits, {@code -},
   * {@code _} and dots only, so {@code namespace/name} cannot be used.
   */
  static String dnsName(OwnerRef owner, Optional<String> suffix) {
    String name = owner.name() + "." + owner.namespace() + suffix.map(s -> "." + s).orElse("");
    return name.length() <= 255 ? name : name.substring(0, 255);
  }

  private String description(OwnerRef owner, Use use) {
    String text = use == Use.SERVICE
        ? "lbipam: Service " + owner.key() + " in cluster " + owner.clusterId()
        : "lbipam: reserved in cluster " + owner.clusterId() + " (claimed for " + owner.key()
            + ", or shown by a Service lbipam does not manage)";
    return text.length() <= 200 ? text : text.substring(0, 200);
  }

  // ---------------------------------------------------------------------------------------------
  // Claims: lookup and cache

  /**
   * This owner's record for a family. With {@code trustCache} a cached record is returned as is,
   * and a miss in a complete cache means none (safe because the claim field is unique: a wrong
   * miss only costs a 400 and a lookup). Otherwise NetBox is asked.
   */
  private Optional<NetBoxRecord> lookup(ClaimKey key, boolean trustCache) {
    String text = key.text();
    if (trustCache) {
      NetBoxRecord cached = claims.get(text);
      if (cached != null) {
        return Optional.of(cached);
      }
      NetBoxSetup.Result done = setup;
      if (claimsComplete && done != null && done.claimUnique()) {
        return Optional.empty();
      }
    }
    List<NetBoxRecord> found = client.findByCustomField("lookup", settings.claimField(), text);
    if (found.isEmpty()) {
      claims.remove(text);
      return Optional.empty();
    }
    if (found.size() > 1) {
      LOG.warn("several netbox records carry one claim claim={} ids={}; using the lowest", key,
          found.stream().map(NetBoxRecord::id).toList());
    }
    NetBoxRecord record = found.stream().min(Comparator.comparingLong(NetBoxRecord::id)).orElseThrow();
    claims.put(text, record);
    return Optional.of(record);
  }

  /**
   * For an allocation: a miss in the complete cache is trusted (a new Service costs no lookup),
   * but a cached record is confirmed in NetBox first. An address handed out from a record NetBox
   * no longer has (deleted there, or by a release whose reply was lost) could be another
   * cluster's by now.
   */
  private Optional<NetBoxRecord> lookupTrustingMisses(ClaimKey key, boolean trustMiss) {
    boolean cached = claims.containsKey(key.text());
    return lookup(key, trustMiss && !cached);
  }

  private void remember(ClaimKey key, NetBoxRecord record) {
    claims.put(key.text(), record);
  }

  private void forget(ClaimKey key, long id) {
    claims.computeIfPresent(key.text(), (k, v) -> v.id() == id ? null : v);
  }

  /** Whether a record is this cluster's: our tag, our cluster field, and a claim naming us. */
  private Optional<ClaimKey> ourClaim(NetBoxRecord record) {
    if (!record.tags().contains(settings.tag())
        || !record.customField(settings.clusterField()).map(settings.clusterId()::equals).orElse(false)) {
      return Optional.empty();
    }
    return record.customField(settings.claimField())
        .flatMap(ClaimKey::parse)
        .filter(k -> k.owner().clusterId().equals(settings.clusterId()) && k.family() == record.address().family());
  }

  /**
   * Lists this cluster's records and brings the cache in line: records that vanished from NetBox
   * are dropped (and a restore is requested, so the host re-asserts its holdings). Returns the
   * records with their claims.
   */
  private Map<ClaimKey, NetBoxRecord> listAndRefresh() {
    Set<String> before = new HashSet<>(claims.keySet());
    List<NetBoxRecord> records = client.listTagged(settings.tag(), settings.clusterField(), settings.clusterId());
    Map<ClaimKey, NetBoxRecord> ours = new LinkedHashMap<>();
    for (NetBoxRecord record : records) {
      Optional<ClaimKey> claim = ourClaim(record);
      if (claim.isEmpty()) {
        LOG.debug("netbox record with our tag but no valid claim left alone id={}", record.id());
        continue;
      }
      ours.merge(claim.get(), record, (a, b) -> a.id() <= b.id() ? a : b);
    }
    Map<String, NetBoxRecord> byText = new HashMap<>();
    ours.forEach((k, v) -> byText.put(k.text(), v));
    int vanished = 0;
    for (String text : before) {
      if (!byText.containsKey(text) && claims.remove(text) != null) {
        vanished++;
      }
    }
    byText.forEach(claims::putIfAbsent);
    claimsComplete = true;
    if (vanished > 0) {
      restorePending.set(true);
      LOG.warn("netbox records of this cluster vanished count={}; holdings will be re-asserted", vanished);
    }
    return ours;
  }

  private void primeIfNeeded() {
    if (!claimsComplete) {
      listAndRefresh();
    }
  }

  /** Deletes one record if it still carries this claim. True when this call deleted it. */
  private boolean deleteVerified(ClaimKey key, long id) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Map.Entry<NetBoxRecord, Optional<String>>> current = client.getAddress(id);
      if (current.isEmpty()) {
        forget(key, id);
        return false;
      }
      NetBoxRecord record = current.get().getKey();
      if (!record.customField(settings.claimField()).map(key.text()::equals).orElse(false)) {
        LOG.warn("netbox record is no longer ours, left alone id={} address={} claim={}", id, record.display(), key);
        forget(key, id);
        return false;
      }
      NetBoxClient.Deletion deletion = client.deleteAddress(id, current.get().getValue());
      if (deletion == NetBoxClient.Deletion.STALE) {
        continue;
      }
      forget(key, id);
      if (deletion == NetBoxClient.Deletion.DELETED) {
        LOG.info("released in netbox address={} id={} claim={}", record.display(), id, key);
        return true;
      }
      return false;
    }
    throw new NetBoxApiException("netbox record #" + id + " keeps changing (412); not deleted", 412);
  }

  // ---------------------------------------------------------------------------------------------
  // Hold (restore, static addresses)

  @Override
  public HoldOutcome hold(Holding holding) {
    OwnerRef owner = holding.owner();
    if (!owner.clusterId().equals(settings.clusterId())) {
      return new HoldOutcome.Held(); // not ours to record
    }
    if (!holding.managed()) {
      return holdUnmanaged(holding);
    }
    return record(owner, holding.addresses(), Use.SERVICE);
  }

  /**
   * The status of the records lbipam creates: {@code active} for a Service it manages, {@code
   * reserved} for an address that is only kept from being offered (see {@link #holdUnmanaged}),
   * which gives way to a Service of this cluster that shows it.
   */
  private enum Use {
    SERVICE("active"),
    KEPT("reserved");

    final String status;

    Use(String status) {
      this.status = status;
    }
  }

  /** Makes NetBox hold exactly these addresses (one per family) for the owner. */
  private HoldOutcome record(OwnerRef owner, List<IpAddress> addresses, Use use) {
    if (addresses.isEmpty()) {
      try {
        release(owner);
        return new HoldOutcome.Held();
      } catch (IpamException e) {
        return new HoldOutcome.Unavailable(e.getMessage());
      }
    }
    Optional<String> problem = setupProblem();
    if (problem.isPresent()) {
      restorePending.set(true);
      return new HoldOutcome.Unavailable(problem.get());
    }
    Map<IpFamily, IpAddress> wanted = new EnumMap<>(IpFamily.class);
    addresses.stream()
        .filter(a -> !a.isUnspecified()) // the DHCP placeholder 0.0.0.0 (or ::) is not an address to record
        .forEach(a -> wanted.putIfAbsent(a.family(), a));
    if (wanted.isEmpty()) {
      return new HoldOutcome.Held();
    }
    List<Conflict> conflicts = new ArrayList<>();
    try {
      primeIfNeeded();
      for (IpFamily family : IpFamily.values()) {
        ClaimKey key = new ClaimKey(owner, family);
        IpAddress want = wanted.get(family);
        Optional<NetBoxRecord> current = lookup(key, true);
        if (want == null) {
          if (current.isPresent()) {
            LOG.info("service no longer shows {}; releasing its record claim={}", family.kubernetesName(), key);
            retry.executeSupplier(() -> deleteVerified(key, current.get().id()));
          }
          continue;
        }
        if (current.isPresent() && current.get().address().equals(want)) {
          continue;
        }
        if (current.isPresent()) {
          LOG.info("service shows address={} but its record has {}; the record follows the service claim={}", want,
              current.get().display(), key);
          retry.executeSupplier(() -> deleteVerified(key, current.get().id()));
        }
        ensureRecorded(owner, key, want, use).ifPresent(conflicts::add);
      }
    } catch (NetBoxUnavailableException e) {
      restorePending.set(true);
      return new HoldOutcome.Unavailable("NetBox unavailable; the addresses are kept and recorded when it returns: " + e.getMessage());
    } catch (NetBoxApiException e) {
      return new HoldOutcome.Unavailable(e.getMessage());
    }
    return conflicts.isEmpty() ? new HoldOutcome.Held() : new HoldOutcome.Conflicted(conflicts);
  }

  /**
   * An address shown by a Service lbipam does not manage, or claimed in the cluster but shown by no
   * Service yet (a stand-in owner), counts as used. NetBox only knows that from a record: without
   * one it offers the address again, to this cluster (whose claim then refuses it, every time) or
   * to another. So what lies in one of the configured pools is recorded for its owner, as
   * reserved; anything else is left alone, and a clash is no one's to report (the address is used
   * either way). When NetBox is away, the holding is recorded at the next restore.
   */
  private HoldOutcome holdUnmanaged(Holding holding) {
    if (!new ClaimKey(holding.owner(), IpFamily.IPV4).readsBack()) {
      LOG.debug("an unmanaged holding whose owner a claim cannot name is not recorded owner={}", holding.owner());
      return new HoldOutcome.Held();
    }
    List<IpAddress> inPools;
    try {
      if (setupProblem().isPresent()) {
        restorePending.set(true);
        return new HoldOutcome.Held();
      }
      inPools = holding.addresses().stream().filter(a -> !a.isUnspecified() && inAPool(a)).toList();
    } catch (NetBoxUnavailableException e) {
      restorePending.set(true);
      return new HoldOutcome.Held();
    }
    if (inPools.isEmpty()) {
      // Nothing to reserve, and nothing released either: a pool missing for a moment (or kept only
      // by another cluster) must not free an address that is in use.
      return new HoldOutcome.Held();
    }
    HoldOutcome outcome = record(holding.owner(), inPools, Use.KEPT);
    if (outcome instanceof HoldOutcome.Conflicted conflicted) {
      LOG.debug("an unmanaged holding is recorded in netbox by someone else owner={} addresses={}", holding.owner(),
          conflicted.conflicts().stream().map(Conflict::address).toList());
    }
    return new HoldOutcome.Held();
  }

  /** The first of these pools that contains the address; pools NetBox cannot resolve are skipped. */
  private Optional<NetBoxPool> poolContaining(List<PoolConfig.Entry> entries, IpAddress address) {
    for (PoolConfig.Entry entry : entries) {
      if (entry.ref().family().map(f -> f != address.family()).orElse(false)) {
        continue;
      }
      try {
        Optional<NetBoxPool> pool = resolve(entry.ref());
        if (pool.isPresent() && pool.get().contains(address)) {
          return pool;
        }
      } catch (NetBoxApiException e) {
        LOG.debug("pool not usable entry={} error=\"{}\"", entry, e.getMessage());
      }
    }
    return Optional.empty();
  }

  private boolean inAPool(IpAddress address) {
    return poolContaining(config.allEntries(), address).isPresent();
  }

  /** The VRF and mask for a record of this address: those of the pool it lies in, if any. */
  private record Placement(Optional<Long> vrfId, int maskLength) {}

  private Placement placement(String namespace, IpAddress address) {
    PoolConfig cfg = config;
    List<PoolConfig.Entry> entries = new ArrayList<>(cfg.select(namespace).entries());
    entries.addAll(cfg.allEntries());
    return poolContaining(entries, address)
        .map(pool -> new Placement(pool.vrfId(), pool.maskLength()))
        .orElseGet(() -> new Placement(Optional.empty(), address.family().bits()));
  }

  /**
   * Creates this owner's record for {@code want}; a conflict when someone else holds it. A
   * Service's record takes the place of one this cluster only reserved ({@link Use#KEPT}).
   */
  private Optional<Conflict> ensureRecorded(OwnerRef owner, ClaimKey key, IpAddress want, Use use) {
    AtomicInteger attempt = new AtomicInteger();
    return retry.executeSupplier(
        () -> {
          if (attempt.getAndIncrement() > 0) {
            Optional<NetBoxRecord> again = lookup(key, false);
            if (again.isPresent() && again.get().address().equals(want)) {
              stats.count("claim_found_after_failure");
              return Optional.<Conflict>empty();
            }
          }
          Placement placement = placement(owner.namespace(), want);
          JsonObject element = element(owner, key, use);
          element.addProperty("address", want + "/" + placement.maskLength());
          element.add("vrf", placement.vrfId().<com.google.gson.JsonElement>map(JsonPrimitive::new).orElse(JsonNull.INSTANCE));
          boolean reservationRemoved = false;
          while (true) {
            NetBoxClient.Creation creation = client.createAddress(element);
            if (creation instanceof NetBoxClient.Creation.Created created) {
              remember(key, created.record());
              LOG.info("recorded in netbox address={} id={} status={} claim={}", created.record().display(),
                  created.record().id(), use.status, key);
              return Optional.<Conflict>empty();
            }
            NetBoxClient.Creation.Refused refused = (NetBoxClient.Creation.Refused) creation;
            if (refused.status() == 403) {
              throw new NetBoxApiException(refused.message(), 403);
            }
            Optional<NetBoxRecord> mine = lookup(key, false);
            if (mine.isPresent() && mine.get().address().equals(want)) {
              stats.count("claim_clash_reused");
              return Optional.<Conflict>empty();
            }
            List<NetBoxRecord> holders = client.findByAddress(want, placement.vrfId());
            if (holders.isEmpty()) {
              throw new NetBoxApiException("NetBox refused to record " + want + " for " + owner.key() + ": " + refused.message(), 400);
            }
            NetBoxRecord holder = holders.get(0);
            Optional<ClaimKey> reservedFor = use == Use.SERVICE && !reservationRemoved && Use.KEPT.status.equals(holder.status())
                ? ourClaim(holder) : Optional.empty();
            if (reservedFor.isEmpty()) {
              stats.count("conflict");
              return Optional.of(conflict(want, holder));
            }
            LOG.info("a service takes the place of this cluster's reservation address={} reservedFor={} claim={}", want,
                reservedFor.get(), key);
            deleteVerified(reservedFor.get(), holder.id());
            reservationRemoved = true;
          }
        });
  }

  private Conflict conflict(IpAddress address, NetBoxRecord holder) {
    Optional<ClaimKey> other = holder.customField(settings.claimField()).flatMap(ClaimKey::parse);
    if (other.isPresent()) {
      OwnerRef o = other.get().owner();
      return new Conflict(address.toString(), o,
          "address " + address + " is already recorded in NetBox for Service " + o.key() + " of cluster " + o.clusterId()
              + " (" + holder.describe() + "); it is not moved: give this Service another address, or free it there");
    }
    return new Conflict(address.toString(), new OwnerRef("netbox", "netbox", "ip-address-" + holder.id(), ""),
        "address " + address + " is already taken in NetBox by " + holder.describe()
            + ", which lbipam did not create; it is not moved: free it in NetBox, or give this Service another address");
  }

  // ---------------------------------------------------------------------------------------------
  // Release and GC

  @Override
  public void release(OwnerRef owner) {
    if (!owner.clusterId().equals(settings.clusterId())) {
      return;
    }
    Optional<String> problem = setupProblem();
    if (problem.isPresent()) {
      throw new IpamException("cannot release " + owner.key() + " now: " + problem.get(), true);
    }
    try {
      retry.executeSupplier(
          () -> {
            primeIfNeeded();
            for (IpFamily family : IpFamily.values()) {
              ClaimKey key = new ClaimKey(owner, family);
              NetBoxRecord cached = claims.get(key.text());
              if (cached == null && claimsComplete) {
                continue; // the complete cache knows this owner holds nothing in this family
              }
              for (NetBoxRecord record : client.findByCustomField("lookup", settings.claimField(), key.text())) {
                deleteVerified(key, record.id());
              }
              // NetBox holds none now. A retry after a delete whose reply was lost finds nothing to
              // delete, and the cached record must not outlive it: it would be handed out again.
              claims.remove(key.text());
            }
            return null;
          });
      orphanSince.remove(owner);
    } catch (NetBoxUnavailableException | NetBoxApiException e) {
      throw new IpamException("could not release " + owner.key() + " in NetBox (kept until it succeeds): " + e.getMessage(), true, e);
    }
  }

  @Override
  public List<Holding> holdings() {
    Optional<String> problem = setupProblem();
    if (problem.isPresent()) {
      throw new IpamException(problem.get(), true);
    }
    try {
      Map<ClaimKey, NetBoxRecord> records = listAndRefresh();
      Map<OwnerRef, List<IpAddress>> byOwner = new LinkedHashMap<>();
      records.forEach((key, record) -> byOwner.computeIfAbsent(key.owner(), o -> new ArrayList<>()).add(record.address()));
      List<Holding> holdings = new ArrayList<>();
      byOwner.forEach((owner, addresses) -> holdings.add(new Holding(owner, addresses.stream().sorted().toList(), List.of(), true)));
      return holdings;
    } catch (NetBoxUnavailableException | NetBoxApiException e) {
      throw new IpamException("cannot list this cluster's NetBox records: " + e.getMessage(), true, e);
    }
  }

  /**
   * Releases records of owners not in {@code liveOwners} once they have been orphaned for the
   * grace period (measured from the first listing that showed them orphaned). Never throws:
   * NetBox trouble skips this round.
   */
  @Override
  public List<OwnerRef> retainOnly(Set<OwnerRef> liveOwners) {
    if (setupProblem().isPresent()) {
      return List.of();
    }
    Map<ClaimKey, NetBoxRecord> records;
    try {
      records = retry.executeSupplier(this::listAndRefresh);
    } catch (NetBoxUnavailableException | NetBoxApiException e) {
      LOG.warn("netbox garbage collection skipped this round error=\"{}\"", e.getMessage());
      return List.of();
    }
    Map<OwnerRef, List<Map.Entry<ClaimKey, NetBoxRecord>>> orphans = new LinkedHashMap<>();
    for (Map.Entry<ClaimKey, NetBoxRecord> e : records.entrySet()) {
      OwnerRef owner = e.getKey().owner();
      if (!liveOwners.contains(owner)) {
        orphans.computeIfAbsent(owner, o -> new ArrayList<>()).add(e);
      }
    }
    orphanSince.keySet().retainAll(orphans.keySet());
    long now = System.nanoTime();
    List<OwnerRef> released = new ArrayList<>();
    for (Map.Entry<OwnerRef, List<Map.Entry<ClaimKey, NetBoxRecord>>> orphan : orphans.entrySet()) {
      OwnerRef owner = orphan.getKey();
      long since = orphanSince.computeIfAbsent(owner, o -> now);
      if (now - since < settings.gcGrace().toNanos()) {
        LOG.debug("orphaned netbox records wait for the grace period owner={}", owner);
        continue;
      }
      try {
        for (Map.Entry<ClaimKey, NetBoxRecord> e : orphan.getValue()) {
          deleteVerified(e.getKey(), e.getValue().id());
        }
        orphanSince.remove(owner);
        released.add(owner);
        stats.count("gc_released");
        LOG.info("released netbox records of a Service that is gone owner={} addresses={}", owner,
            orphan.getValue().stream().map(e -> e.getValue().display()).collect(Collectors.joining(",")));
      } catch (NetBoxUnavailableException | NetBoxApiException e) {
        LOG.warn("netbox garbage collection stopped error=\"{}\"", e.getMessage());
        break;
      }
    }
    return released;
  }

  // ---------------------------------------------------------------------------------------------
  // Health, restore, metrics

  @Override
  public BackendHealth health() {
    if (setup == null) {
      String failed = setupFailure;
      return BackendHealth.down(failed != null ? "netbox set-up failed: " + failed
          : "netbox set-up not done yet (last error: " + client.lastFailure() + ")");
    }
    CircuitBreaker.State state = breaker.getState();
    if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
      return BackendHealth.down("NetBox circuit breaker open (last error: " + client.lastFailure() + ")");
    }
    if (state == CircuitBreaker.State.HALF_OPEN) {
      return BackendHealth.down("NetBox recovering, circuit breaker half-open (last error: " + client.lastFailure() + ")");
    }
    if (client.lastCallFailed()) {
      return BackendHealth.down("the last NetBox call failed: " + client.lastFailure());
    }
    return BackendHealth.up();
  }

  /**
   * True once after a hold could not be recorded (NetBox was down) or records vanished from NetBox,
   * when NetBox is reachable again: the host then re-asserts every holding.
   */
  @Override
  public boolean needsRestore() {
    return restorePending.get() && health().available() && restorePending.getAndSet(false);
  }

  /** Counts the records in every configured pool, for the pool metrics; the last counts stay on failure. */
  @Override
  public void maintain() {
    if (setupProblem().isPresent()) {
      return;
    }
    List<PoolUsage.Counted> counted = new ArrayList<>();
    try {
      for (PoolConfig.Entry entry : config.allEntries()) {
        try {
          Optional<NetBoxPool> pool = resolve(entry.ref());
          if (pool.isPresent()) {
            counted.add(new PoolUsage.Counted(entry.key(), pool.get(), client.countAddresses(pool.get())));
          }
        } catch (NetBoxApiException e) {
          LOG.debug("netbox pool not counted key={} pool={} error=\"{}\"", entry.key(), entry.ref(), e.getMessage());
        }
      }
      usage = PoolUsage.stats(counted);
    } catch (NetBoxUnavailableException e) {
      LOG.debug("netbox pool usage not refreshed error=\"{}\"", e.getMessage());
    }
  }

  @Override
  public List<PoolStats> poolStats() {
    return usage;
  }

  @Override
  public List<BackendMetric> metrics() {
    List<BackendMetric> metrics = new java.util.ArrayList<>(stats.metrics(breaker));
    metrics.add(new BackendMetric("netbox_setup_done", "1 once the tag and custom fields are verified.", false, Map.of(),
        setup != null ? 1 : 0));
    return metrics;
  }

  @Override
  public List<dev.lbipam.ipam.spi.BackendHistogram> histograms() {
    return stats.histograms();
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "NetBoxBackend[" + settings + "]";
  }
}

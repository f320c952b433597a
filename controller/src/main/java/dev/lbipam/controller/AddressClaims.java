package dev.lbipam.controller;

import static dev.lbipam.controller.AddressClaimObject.GROUP;
import static dev.lbipam.controller.AddressClaimObject.PLURAL;
import static dev.lbipam.controller.AddressClaimObject.VERSION;

import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.controller.AddressClaimObject.HolderEntry;
import dev.lbipam.controller.ClaimRules.OnExisting;
import dev.lbipam.controller.ClaimRules.OnRelease;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.AddressFormatException;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Preconditions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Address claims as {@code lbipam.dev/v1alpha1} AddressClaim objects named after the address (ADR
 * 0008, ADR 0016). Creating one is atomic in the API server: of two writers, one gets 409. An index fed by an
 * informer (and by our own writes, so they count before their echo) answers "who holds this?"
 * without a call. Thread-safe; no lock is held during a call.
 */
public class AddressClaims {
  private static final Logger LOG = LoggerFactory.getLogger(AddressClaims.class);
  private static final int MAX_ATTEMPTS = 8;

  /** The outcome of {@link #claim}. */
  public sealed interface Outcome {
    record Claimed() implements Outcome {}

    record Taken(String by) implements Outcome {}
  }

  private final CustomObjectsApi api;
  private final ApiClient client;
  private final Map<String, AddressClaim> byName = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> namesByUid = new HashMap<>();

  public AddressClaims(ApiClient writeClient) {
    this.client = writeClient;
    this.api = new CustomObjectsApi(writeClient);
  }

  /** No claims at all: {@code --address-claims=false}. */
  public static AddressClaims disabled() {
    return new AddressClaims(null) {
      @Override
      public Outcome claim(IpAddress address, Holder me, boolean mayShare) {
        return new Outcome.Claimed();
      }

      @Override
      public void release(IpAddress address, String uid) {}
    };
  }

  // ---- the index ----

  public Optional<AddressClaim> get(IpAddress address) {
    return Optional.ofNullable(byName.get(AddressClaim.nameOf(address)));
  }

  public Collection<AddressClaim> all() {
    return List.copyOf(byName.values());
  }

  public int size() {
    return byName.size();
  }

  /** The addresses claimed for a Service uid. */
  public List<IpAddress> addressesOf(String uid) {
    Set<String> names;
    synchronized (namesByUid) {
      names = Set.copyOf(namesByUid.getOrDefault(uid, Set.of()));
    }
    List<IpAddress> addresses = new ArrayList<>();
    for (String name : names) {
      addresses.add(AddressClaim.addressOf(name));
    }
    addresses.sort(null);
    return addresses;
  }

  /** An informer event: the object as the API server has it now. */
  public void observed(AddressClaimObject object) {
    toClaim(object).ifPresent(this::put);
  }

  /** An informer event: the object is gone. */
  public void observedDeleted(AddressClaimObject object) {
    if (object == null || object.getMetadata() == null || object.getMetadata().getName() == null) {
      return;
    }
    String name = object.getMetadata().getName();
    String version = String.valueOf(object.getMetadata().getResourceVersion());
    synchronized (namesByUid) {
      AddressClaim known = byName.get(name);
      // A claim we created again after this deletion must survive the late echo of the delete.
      if (known != null && !isNewer(known.resourceVersion(), version)) {
        remove(name);
      }
    }
  }

  // ---- writes ----

  /**
   * Claims the address for the Service, or says who holds it. Idempotent for the same uid. Throws
   * on API failures (the caller retries later); never returns {@code Claimed} unless the API server
   * holds a claim naming this uid.
   */
  public Outcome claim(IpAddress address, Holder me, boolean mayShare) throws ApiException {
    String name = AddressClaim.nameOf(address);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      AddressClaim existing = byName.get(name);
      if (existing == null) {
        try {
          put(toClaim(send(api.createClusterCustomObject(GROUP, VERSION, PLURAL, newObject(name, List.of(me))).buildCall(null))).orElseThrow());
          return new Outcome.Claimed();
        } catch (ApiException e) {
          if (e.getCode() != 409) {
            throw e;
          }
        }
        existing = read(name);
        if (existing == null) {
          continue;
        }
      }
      OnExisting step = ClaimRules.onExisting(existing, me, mayShare);
      if (step instanceof OnExisting.Mine) {
        return new Outcome.Claimed();
      }
      if (step instanceof OnExisting.Taken taken) {
        return new Outcome.Taken(taken.by());
      }
      List<Holder> joined = ((OnExisting.Join) step).holders();
      try {
        put(toClaim(replace(existing, joined)).orElseThrow());
        return new Outcome.Claimed();
      } catch (ApiException e) {
        if (e.getCode() != 409 && e.getCode() != 404) {
          throw e;
        }
        read(name);
      }
    }
    throw new ApiException(409, "claim for " + name + " kept changing; will retry");
  }

  /** Lets the Service go of the address: deletes the claim, or leaves it to the other sharers. */
  public void release(IpAddress address, String uid) throws ApiException {
    String name = AddressClaim.nameOf(address);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      AddressClaim existing = byName.get(name);
      if (existing == null || !existing.heldBy(uid)) {
        existing = read(name);
      }
      if (existing == null) {
        return;
      }
      OnRelease step = ClaimRules.onRelease(existing, uid);
      if (step instanceof OnRelease.NotHeld) {
        return;
      }
      int code;
      if (step instanceof OnRelease.Leave leave) {
        try {
          put(toClaim(replace(existing, leave.remaining())).orElseThrow());
          return;
        } catch (ApiException e) {
          code = e.getCode();
        }
      } else {
        code = delete(name, existing.resourceVersion());
      }
      if (code < 300 || code == 404) {
        if (step instanceof OnRelease.Delete) {
          remove(name);
        }
        return;
      }
      if (code != 409) {
        throw new ApiException(code, "releasing claim " + name + " failed with HTTP " + code);
      }
      read(name);
    }
    throw new ApiException(409, "claim for " + name + " kept changing; will retry");
  }

  /** Releases every claim of a Service. */
  public void releaseAll(String uid) throws ApiException {
    for (IpAddress address : addressesOf(uid)) {
      release(address, uid);
    }
  }

  /**
   * DELETE with a resourceVersion precondition, sent as a raw call: the response body is the
   * deleted object or a Status, and only the code matters.
   */
  private int delete(String name, String resourceVersion) throws ApiException {
    V1DeleteOptions options = new V1DeleteOptions().preconditions(new V1Preconditions().resourceVersion(resourceVersion));
    try (okhttp3.Response response = api.deleteClusterCustomObject(GROUP, VERSION, PLURAL, name).body(options).buildCall(null).execute()) {
      return response.code();
    } catch (IOException e) {
      throw new ApiException(e);
    }
  }

  private AddressClaim read(String name) throws ApiException {
    try {
      AddressClaim claim = toClaim(send(api.getClusterCustomObject(GROUP, VERSION, PLURAL, name).buildCall(null))).orElseThrow();
      put(claim);
      return claim;
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        remove(name);
        return null;
      }
      throw e;
    }
  }

  /** The same claim with other holders, sent with its resourceVersion so a concurrent change gets 409. */
  private AddressClaimObject replace(AddressClaim existing, List<Holder> holders) throws ApiException {
    AddressClaimObject object = newObject(existing.name(), holders);
    object.getMetadata().resourceVersion(existing.resourceVersion());
    return send(api.replaceClusterCustomObject(GROUP, VERSION, PLURAL, existing.name(), object).buildCall(null));
  }

  private AddressClaimObject send(okhttp3.Call call) throws ApiException {
    return client.<AddressClaimObject>execute(call, AddressClaimObject.class).getData();
  }

  private static AddressClaimObject newObject(String name, List<Holder> holders) {
    return new AddressClaimObject()
        .metadata(new V1ObjectMeta().name(name))
        .spec(new AddressClaimObject.Spec().address(AddressClaim.addressOf(name).toString()).holders(entries(holders)));
  }

  // ---- conversion ----

  static List<HolderEntry> entries(List<Holder> holders) {
    List<HolderEntry> entries = new ArrayList<>();
    for (Holder h : holders) {
      entries.add(new HolderEntry(h.namespace(), h.name(), h.uid(), h.ports().stream().map(PortKey::toString).toList()));
    }
    return entries;
  }

  /**
   * The holders as stored. One without namespace, name or uid is left out (the schema requires
   * them); one with unreadable ports keeps none, so it never shares, and stays collectable.
   */
  static List<Holder> holders(List<HolderEntry> entries) {
    List<Holder> holders = new ArrayList<>();
    for (HolderEntry h : entries == null ? List.<HolderEntry>of() : entries) {
      if (h == null || h.namespace() == null || h.name() == null || h.uid() == null) {
        continue;
      }
      List<PortKey> ports = new ArrayList<>();
      try {
        for (String port : h.ports() == null ? List.<String>of() : h.ports()) {
          ports.add(PortKey.parse(port));
        }
      } catch (IllegalArgumentException e) {
        LOG.warn("claim holder with unreadable ports holder={}/{} ports={}", h.namespace(), h.name(), h.ports());
        ports.clear();
      }
      holders.add(new Holder(h.namespace(), h.name(), h.uid(), ports));
    }
    return holders;
  }

  /** The claim an object stands for; empty for an object whose name is no claim name. */
  static Optional<AddressClaim> toClaim(AddressClaimObject object) {
    if (object == null || object.getMetadata() == null || object.getMetadata().getName() == null) {
      return Optional.empty();
    }
    V1ObjectMeta meta = object.getMetadata();
    try {
      if (!AddressClaim.nameOf(AddressClaim.addressOf(meta.getName())).equals(meta.getName())) {
        return Optional.empty();
      }
    } catch (AddressFormatException e) {
      return Optional.empty();
    }
    String version = meta.getResourceVersion() == null ? "" : meta.getResourceVersion();
    List<Holder> holders = holders(object.getSpec() == null ? null : object.getSpec().getHolders());
    if (holders.isEmpty()) {
      // Edited by hand, or written by something else: the address stays taken, by nobody we know.
      LOG.warn("claim without a readable holder list name={}", meta.getName());
    }
    return Optional.of(new AddressClaim(meta.getName(), version, holders));
  }

  private void put(AddressClaim claim) {
    synchronized (namesByUid) {
      AddressClaim old = byName.get(claim.name());
      if (old != null && isNewer(old.resourceVersion(), claim.resourceVersion())) {
        return;
      }
      byName.put(claim.name(), claim);
      if (old != null) {
        old.holders().forEach(h -> unindex(h.uid(), claim.name()));
      }
      claim.holders().forEach(h -> namesByUid.computeIfAbsent(h.uid(), u -> new HashSet<>()).add(claim.name()));
    }
  }

  private void remove(String name) {
    synchronized (namesByUid) {
      AddressClaim old = byName.remove(name);
      if (old != null) {
        old.holders().forEach(h -> unindex(h.uid(), name));
      }
    }
  }

  private void unindex(String uid, String name) {
    Set<String> names = namesByUid.get(uid);
    if (names != null) {
      names.remove(name);
      if (names.isEmpty()) {
        namesByUid.remove(uid);
      }
    }
  }

  /** resourceVersions are opaque, but etcd-backed ones are integers; an older echo must not win. */
  private static boolean isNewer(String known, String incoming) {
    try {
      return Long.parseLong(known) > Long.parseLong(incoming);
    } catch (NumberFormatException e) {
      return false;
    }
  }
}

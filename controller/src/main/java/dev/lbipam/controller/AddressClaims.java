package dev.lbipam.controller;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.controller.ClaimRules.OnExisting;
import dev.lbipam.controller.ClaimRules.OnRelease;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.AddressFormatException;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1IPAddress;
import io.kubernetes.client.openapi.models.V1IPAddressSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ParentReference;
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
 * Address claims as {@code networking.k8s.io/v1} IPAddress objects named after the address (ADR
 * 0008). Creating one is atomic in the API server: of two writers, one gets 409. An index fed by an
 * informer (and by our own writes, so they count before their echo) answers "who holds this?"
 * without a call. Thread-safe; no lock is held during a call.
 */
public class AddressClaims {
  public static final String MANAGED_BY_LABEL = "ipaddress.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "lbipam.dev";
  public static final String HOLDERS_ANNOTATION = "lbipam.dev/holders";
  private static final Logger LOG = LoggerFactory.getLogger(AddressClaims.class);
  private static final int MAX_ATTEMPTS = 8;
  private static final Gson GSON = new Gson();

  /** The outcome of {@link #claim}. */
  public sealed interface Outcome {
    record Claimed() implements Outcome {}

    record Taken(String by) implements Outcome {}
  }

  private final NetworkingV1Api api;
  private final ApiClient client;
  private final Map<String, AddressClaim> byName = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> namesByUid = new HashMap<>();

  public AddressClaims(ApiClient writeClient) {
    this.client = writeClient;
    this.api = new NetworkingV1Api(writeClient);
  }

  /** No claims at all: {@code --address-claims=false}, for clusters that do not serve IPAddress. */
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
      addresses.add(IpAddress.parse(name));
    }
    addresses.sort(null);
    return addresses;
  }

  /** An informer event: the object as the API server has it now. */
  public void observed(V1IPAddress object) {
    toClaim(object).ifPresent(this::put);
  }

  /** An informer event: the object is gone. */
  public void observedDeleted(V1IPAddress object) {
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

  /** Reads the claim again from the API server (for claims of others, which no informer watches). */
  public void refresh(IpAddress address) throws ApiException {
    read(AddressClaim.nameOf(address));
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
          put(toClaim(api.createIPAddress(newObject(name, List.of(me))).execute()).orElseThrow());
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
        put(toClaim(api.replaceIPAddress(name, replacement(existing, joined)).execute()).orElseThrow());
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
          put(toClaim(api.replaceIPAddress(name, replacement(existing, leave.remaining())).execute()).orElseThrow());
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
   * deleted object or a Status, which client-java's typed delete cannot always parse.
   */
  private int delete(String name, String resourceVersion) throws ApiException {
    V1DeleteOptions options = new V1DeleteOptions().preconditions(new V1Preconditions().resourceVersion(resourceVersion));
    try (okhttp3.Response response = api.deleteIPAddress(name).body(options).buildCall(null).execute()) {
      return response.code();
    } catch (IOException e) {
      throw new ApiException(e);
    }
  }

  private AddressClaim read(String name) throws ApiException {
    try {
      AddressClaim claim = toClaim(api.readIPAddress(name).execute()).orElseThrow();
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

  private static V1IPAddress newObject(String name, List<Holder> holders) {
    Holder parent = holders.get(0);
    return new V1IPAddress()
        .apiVersion("networking.k8s.io/v1")
        .kind("IPAddress")
        .metadata(
            new V1ObjectMeta()
                .name(name)
                .putLabelsItem(MANAGED_BY_LABEL, MANAGED_BY)
                .putAnnotationsItem(HOLDERS_ANNOTATION, encode(holders)))
        .spec(
            new V1IPAddressSpec()
                .parentRef(new V1ParentReference().group("").resource("services").namespace(parent.namespace()).name(parent.name())));
  }

  /** The same object with other holders; parentRef is immutable and keeps naming the first one. */
  private static V1IPAddress replacement(AddressClaim existing, List<Holder> holders) {
    V1IPAddress object = newObject(existing.name(), existing.holders().isEmpty() ? holders : existing.holders());
    object.getMetadata().resourceVersion(existing.resourceVersion()).putAnnotationsItem(HOLDERS_ANNOTATION, encode(holders));
    return object;
  }

  // ---- conversion ----

  private record HolderJson(String namespace, String name, String uid, List<String> ports) {}

  static String encode(List<Holder> holders) {
    List<HolderJson> json = new ArrayList<>();
    for (Holder h : holders) {
      json.add(new HolderJson(h.namespace(), h.name(), h.uid(), h.ports().stream().map(PortKey::toString).toList()));
    }
    return GSON.toJson(json);
  }

  static List<Holder> decode(String text) {
    List<HolderJson> json = GSON.fromJson(text, new TypeToken<List<HolderJson>>() {}.getType());
    List<Holder> holders = new ArrayList<>();
    for (HolderJson h : json == null ? List.<HolderJson>of() : json) {
      List<PortKey> ports = new ArrayList<>();
      for (String port : h.ports() == null ? List.<String>of() : h.ports()) {
        ports.add(PortKey.parse(port));
      }
      holders.add(new Holder(h.namespace(), h.name(), h.uid(), ports));
    }
    return holders;
  }

  static Optional<AddressClaim> toClaim(V1IPAddress object) {
    if (object == null || object.getMetadata() == null || object.getMetadata().getName() == null) {
      return Optional.empty();
    }
    V1ObjectMeta meta = object.getMetadata();
    try {
      IpAddress.parse(meta.getName());
    } catch (AddressFormatException e) {
      return Optional.empty();
    }
    String version = meta.getResourceVersion() == null ? "" : meta.getResourceVersion();
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    V1ParentReference parent = object.getSpec() == null ? null : object.getSpec().getParentRef();
    if (!MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL))) {
      String what =
          parent == null
              ? "IPAddress " + meta.getName()
              : ("services".equals(parent.getResource()) && (parent.getGroup() == null || parent.getGroup().isEmpty())
                      ? "the ClusterIP of Service " + parent.getNamespace() + "/" + parent.getName()
                      : parent.getResource() + " " + parent.getNamespace() + "/" + parent.getName())
                  + " (IPAddress " + meta.getName() + " managed by " + labels.getOrDefault(MANAGED_BY_LABEL, "nobody") + ")";
      return Optional.of(new AddressClaim(meta.getName(), version, List.of(), Optional.of(what)));
    }
    List<Holder> holders;
    try {
      String text = meta.getAnnotations() == null ? null : meta.getAnnotations().get(HOLDERS_ANNOTATION);
      holders = text == null ? List.of() : decode(text);
    } catch (JsonParseException | IllegalArgumentException e) {
      holders = List.of();
    }
    if (holders.isEmpty() && parent != null && parent.getName() != null) {
      // Our label, but no readable holder list (edited by hand): the parent holds it, uid unknown.
      holders = List.of(new Holder(String.valueOf(parent.getNamespace()), parent.getName(), "", List.of()));
      LOG.warn("claim without a readable holder list name={} parent={}/{}", meta.getName(), parent.getNamespace(), parent.getName());
    }
    return Optional.of(new AddressClaim(meta.getName(), version, holders, Optional.empty()));
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

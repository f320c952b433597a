package dev.lbipam.controller;

import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code lbipam.dev/v1alpha1} AddressClaim resource as the API server stores it
 * (manifest/base/crd.yaml). A plain Gson-mapped class: client-java's informers and generic API
 * need a mutable {@link KubernetesObject}. {@link AddressClaims} turns it into {@link AddressClaim}.
 */
public final class AddressClaimObject implements KubernetesObject {
  public static final String GROUP = "lbipam.dev";
  public static final String VERSION = "v1alpha1";
  public static final String PLURAL = "addressclaims";
  public static final String KIND = "AddressClaim";

  private String apiVersion = GROUP + "/" + VERSION;
  private String kind = KIND;
  private V1ObjectMeta metadata = new V1ObjectMeta();

  /** A list (or, with {@code watch}, a watch) of every claim. */
  public static CustomObjectsApi.APIlistClusterCustomObjectRequest list(CustomObjectsApi api) {
    return api.listClusterCustomObject(GROUP, VERSION, PLURAL);
  }
  private Spec spec = new Spec();

  /** What the claim says: the address, and who holds it. */
  public static final class Spec {
    private String address;
    private List<HolderEntry> holders = new ArrayList<>();

    public String getAddress() {
      return address;
    }

    public Spec address(String text) {
      this.address = text;
      return this;
    }

    public List<HolderEntry> getHolders() {
      return holders;
    }

    public Spec holders(List<HolderEntry> entries) {
      this.holders = new ArrayList<>(entries);
      return this;
    }
  }

  /** One holder as stored: ports as {@code PortKey} text. */
  public record HolderEntry(String namespace, String name, String uid, List<String> ports) {}

  /** A page of claims, as list and watch return them. */
  public static final class ListObject implements KubernetesListObject {
    private String apiVersion = GROUP + "/" + VERSION;
    private String kind = KIND + "List";
    private V1ListMeta metadata = new V1ListMeta();
    private List<AddressClaimObject> items = new ArrayList<>();

    public ListObject() {}

    /** Keeps {@code items} itself: the paged lister empties it once the reflector has the objects. */
    public ListObject(List<AddressClaimObject> items, V1ListMeta metadata) {
      this.items = items;
      this.metadata = metadata;
    }

    @Override
    public V1ListMeta getMetadata() {
      return metadata;
    }

    @Override
    public List<AddressClaimObject> getItems() {
      return items == null ? List.of() : items;
    }

    @Override
    public String getApiVersion() {
      return apiVersion;
    }

    @Override
    public String getKind() {
      return kind;
    }
  }

  /**
   * The informer's copy: what {@link AddressClaims} reads (name, resourceVersion, holders) and the
   * uid. Type and repeated values (namespaces, ports) are shared rather than one copy per claim.
   */
  public AddressClaimObject slim() {
    V1ObjectMeta meta = metadata == null ? new V1ObjectMeta()
        : new V1ObjectMeta().name(metadata.getName()).uid(metadata.getUid()).resourceVersion(metadata.getResourceVersion());
    Spec slimSpec = new Spec();
    if (spec != null) {
      slimSpec.address(spec.getAddress());
      List<HolderEntry> entries = new ArrayList<>();
      if (spec.getHolders() != null) {
        for (HolderEntry holder : spec.getHolders()) {
          if (holder == null) {
            continue;
          }
          entries.add(new HolderEntry(SharedStrings.of(holder.namespace()), holder.name(), holder.uid(),
              SharedStrings.of(holder.ports())));
        }
      }
      slimSpec.holders = entries;
    }
    return new AddressClaimObject().metadata(meta).spec(slimSpec);
  }

  @Override
  public V1ObjectMeta getMetadata() {
    return metadata;
  }

  public AddressClaimObject metadata(V1ObjectMeta meta) {
    this.metadata = meta;
    return this;
  }

  public Spec getSpec() {
    return spec;
  }

  public AddressClaimObject spec(Spec value) {
    this.spec = value;
    return this;
  }

  @Override
  public String getApiVersion() {
    return apiVersion;
  }

  @Override
  public String getKind() {
    return kind;
  }
}

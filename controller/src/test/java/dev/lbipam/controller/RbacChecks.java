package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.PatchUtils;
import java.util.List;

/**
 * The least-privilege checks, acting as the controller's ServiceAccount with its token and by
 * impersonation: whatever RBAC was installed (manifest/ or the Helm chart) must pass both. They
 * expect the kubevip ConfigMap in kube-system.
 */
final class RbacChecks {
  private RbacChecks() {}

  private static List<ApiClient> asController(KubeApiServer server) {
    return List.of(
        server.clientAs("kube-system", "kube-vip-cloud-controller"),
        server.impersonating(ManifestIT.SA_USER, "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"));
  }

  private static int status(ThrowingCall call) {
    try {
      call.run();
      return 200;
    } catch (ApiException e) {
      return e.getCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  /** Everything the controller does, done as its ServiceAccount (token and impersonation), succeeds. */
  static void mayDoWhatItNeeds(KubeApiServer server) throws Exception {
    String ns = server.createNamespace("rbac-ok");
    new CoreV1Api(server.adminClient()).createNamespacedService(ns, TestServices.loadBalancer(ns, "svc")).execute();
    for (ApiClient client : asController(server)) {
      CoreV1Api core = new CoreV1Api(client);
      assertThat(core.listServiceForAllNamespaces().execute().getItems()).isNotEmpty();
      assertThat(core.readNamespacedConfigMap("kubevip", "kube-system").execute().getData()).containsKey("cidr-global");
      assertThat(core.listNamespacedConfigMap("kube-system").fieldSelector("metadata.name=kubevip").execute().getItems()).hasSize(1);
      PatchUtils.patch(V1Service.class,
          () -> core.patchNamespacedService("svc", ns, new V1Patch("{\"metadata\":{\"labels\":{\"implementation\":\"kube-vip\"}}}")).buildCall(null),
          V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client);
      core.createNamespacedEvent(ns, new io.kubernetes.client.openapi.models.CoreV1Event()
          .metadata(new V1ObjectMeta().generateName("svc.").namespace(ns))
          .involvedObject(new io.kubernetes.client.openapi.models.V1ObjectReference().kind("Service").namespace(ns).name("svc"))
          .reason("Test").message("rbac").type("Normal")).execute();
    }
    List<ApiClient> clients = asController(server);
    for (int i = 0; i < clients.size(); i++) {
      ApiClient client = clients.get(i);
      // Address claims: create, read, list, replace, delete (ADR 0008, ADR 0016).
      var custom = new io.kubernetes.client.openapi.apis.CustomObjectsApi(client);
      String address = "10.250.0." + (i + 1);
      AddressClaimObject made = new AddressClaimObject().metadata(new V1ObjectMeta().name(address))
          .spec(new AddressClaimObject.Spec().address(address).holders(List.of(
              new AddressClaimObject.HolderEntry(ns, "svc", "uid-" + i, List.of("TCP/80")))));
      custom.createClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION, AddressClaimObject.PLURAL, made).execute();
      AddressClaimObject claim = client.<AddressClaimObject>execute(custom.getClusterCustomObject(AddressClaimObject.GROUP,
          AddressClaimObject.VERSION, AddressClaimObject.PLURAL, address).buildCall(null), AddressClaimObject.class).getData();
      assertThat(AddressClaimObject.list(custom).execute()).isNotNull();
      custom.replaceClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION, AddressClaimObject.PLURAL, address,
          claim.metadata(claim.getMetadata().putAnnotationsItem("x", "y"))).execute();
      try (okhttp3.Response deleted = custom.deleteClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION,
          AddressClaimObject.PLURAL, address).buildCall(null).execute()) {
        assertThat(deleted.code()).isEqualTo(200);
      }
      // The IPAddress claims of an earlier version: listed and deleted once (LegacyIpAddressClaims).
      var networking = new io.kubernetes.client.openapi.apis.NetworkingV1Api(client);
      String legacy = "10.251.0." + (i + 1);
      AddressClaimsIT.createLegacyClaim(server.adminClient(), legacy, ns, "svc");
      assertThat(networking.listIPAddress().labelSelector(LegacyIpAddressClaims.SELECTOR).execute().getItems()).isNotEmpty();
      try (okhttp3.Response deleted = networking.deleteIPAddress(legacy).buildCall(null).execute()) {
        assertThat(deleted.code()).isEqualTo(200);
      }
    }
    CoordinationV1Api leases = new CoordinationV1Api(asController(server).get(0));
    leases.createNamespacedLease("kube-system", new V1Lease()
        .metadata(new V1ObjectMeta().name("kube-vip-cloud-controller").namespace("kube-system"))
        .spec(new V1LeaseSpec().holderIdentity("test"))).execute();
    V1Lease lease = leases.readNamespacedLease("kube-vip-cloud-controller", "kube-system").execute();
    leases.replaceNamespacedLease("kube-vip-cloud-controller", "kube-system", lease.spec(lease.getSpec().holderIdentity("other"))).execute();
  }

  /** Everything else tried as the ServiceAccount is refused (403). */
  static void mayDoNothingMore(KubeApiServer server) throws Exception {
    String ns = server.createNamespace("rbac-deny");
    new CoreV1Api(server.adminClient()).createNamespacedService(ns, TestServices.loadBalancer(ns, "svc")).execute();
    new CoreV1Api(server.adminClient()).createNamespacedConfigMap("kube-system",
        new V1ConfigMap().metadata(new V1ObjectMeta().name("other").namespace("kube-system"))).execute();
    for (ApiClient client : asController(server)) {
      CoreV1Api core = new CoreV1Api(client);
      assertThat(status(() -> core.listSecretForAllNamespaces().execute())).isEqualTo(403);
      assertThat(status(() -> core.deleteNamespacedService("svc", ns).execute())).isEqualTo(403);
      assertThat(status(() -> core.createNamespacedService(ns, TestServices.loadBalancer(ns, "new")).execute())).isEqualTo(403);
      assertThat(status(() -> core.replaceNamespacedService("svc", ns, core.readNamespacedService("svc", ns).execute()).execute())).isEqualTo(403);
      assertThat(status(() -> core.readNamespacedConfigMap("other", "kube-system").execute())).isEqualTo(403);
      assertThat(status(() -> core.listNamespacedConfigMap("kube-system").execute())).isEqualTo(403);
      assertThat(status(() -> core.createNamespacedConfigMap("kube-system",
          new V1ConfigMap().metadata(new V1ObjectMeta().name("kubevip2"))).execute())).isEqualTo(403);
      assertThat(status(() -> core.listPodForAllNamespaces().execute())).isEqualTo(403);
      assertThat(status(() -> new CoordinationV1Api(client).readNamespacedLease("someone-else", "kube-system").execute())).isEqualTo(403);
      assertThat(status(() -> new CoordinationV1Api(client).deleteNamespacedLease("kube-vip-cloud-controller", "kube-system").execute())).isEqualTo(403);
      assertThat(status(() -> new io.kubernetes.client.openapi.apis.NetworkingV1Api(client).listServiceCIDR().execute()))
          .as("ServiceCIDRs are not ours").isEqualTo(403);
      var networking = new io.kubernetes.client.openapi.apis.NetworkingV1Api(client);
      assertThat(status(() -> networking.createIPAddress(new io.kubernetes.client.openapi.models.V1IPAddress()
          .metadata(new V1ObjectMeta().name("10.252.0.1"))
          .spec(new io.kubernetes.client.openapi.models.V1IPAddressSpec().parentRef(
              new io.kubernetes.client.openapi.models.V1ParentReference().resource("services").namespace(ns).name("svc"))))
          .execute())).as("IPAddresses are only cleaned up, never made").isEqualTo(403);
      assertThat(status(() -> networking.readIPAddress("10.0.0.1").execute())).isEqualTo(403);
      var custom = new io.kubernetes.client.openapi.apis.CustomObjectsApi(client);
      assertThat(status(() -> custom.patchClusterCustomObject(AddressClaimObject.GROUP, AddressClaimObject.VERSION,
          AddressClaimObject.PLURAL, "10.0.0.1", new V1Patch("{\"metadata\":{\"labels\":{\"a\":\"b\"}}}")).execute()))
          .as("claims are replaced, never patched").isEqualTo(403);
    }
    assertThatThrownBy(() -> new CoreV1Api(asController(server).get(0)).listNamespace().execute())
        .isInstanceOf(ApiException.class);
  }
}

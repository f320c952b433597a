package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * manifest/ is valid for a real API server, and its RBAC allows exactly what the controller does:
 * checked as the controller's ServiceAccount (token) and by impersonating it.
 */
class ManifestIT {
  @RegisterExtension static final KubeApiServerExtension KUBE = new KubeApiServerExtension();
  static final String SA_USER = "system:serviceaccount:kube-system:kube-vip-cloud-controller";

  static List<String> validated;

  @BeforeAll
  static void install() throws Exception {
    KubeApiServer server = KUBE.server();
    // Server-side validation of everything first (dry run: nothing is persisted), then the real thing.
    validated =
        Manifests.create(
            server.adminClient(),
            Manifests.kustomize(""),
            true);
    Manifests.installRbac(server.adminClient());
    Manifests.create(server.adminClient(), Manifests.load("configmap-example.yaml"), false);
  }

  private static List<ApiClient> asController() {
    KubeApiServer server = KUBE.server();
    return List.of(
        server.clientAs("kube-system", "kube-vip-cloud-controller"),
        server.impersonating(SA_USER, "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"));
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

  @Test
  void everyManifestPassesServerSideValidation() throws Exception {
    assertThat(validated)
        .contains("ServiceAccount/kube-vip-cloud-controller", "ClusterRole/lbipam-controller", "Role/lbipam-controller",
            "Deployment/lbipam-controller", "ConfigMap/kubevip");
  }

  @Test
  void kubectlApplyKOfEveryVariantWorksOnTheRealApiServer() throws Exception {
    java.nio.file.Path kubeconfig = KUBE.server().adminKubeconfig();
    for (String variant : List.of("", "base", "redis", "netbox")) {
      String output = Manifests.kubectl("--kubeconfig", kubeconfig.toString(), "apply", "--dry-run=server", "-k",
          Manifests.directory().resolve(variant).toString());
      assertThat(output).as("kubectl apply -k manifest/%s", variant)
          .contains("deployment.apps/lbipam-controller")
          .contains("clusterrole.rbac.authorization.k8s.io/lbipam-controller")
          .contains("serviceaccount/kube-vip-cloud-controller");
    }
  }

  @Test
  void theRedisVariantIsValidAndInStepWithTheBaseDeployment() throws Exception {
    ApiClient admin = KUBE.server().adminClient();
    List<Object> redis = new java.util.ArrayList<>(Manifests.kustomize("redis").stream()
        .filter(o -> o instanceof io.kubernetes.client.openapi.models.V1Deployment).toList());
    redis.addAll(Manifests.load("redis/secret-example.yaml"));
    assertThat(Manifests.create(admin, redis, true)).containsExactly("Deployment/lbipam-controller", "Secret/lbipam-redis");
    var base = (io.kubernetes.client.openapi.models.V1Deployment) Manifests.load("base/deployment.yaml").get(0);
    var variant = (io.kubernetes.client.openapi.models.V1Deployment) redis.get(0);
    var pod = variant.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().get(0);
    assertThat(container.getArgs()).contains("--backend=redis");
    assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/tmp", "/etc/lbipam/secrets");
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(65532L);
    // Everything but the backend arguments and the credentials follows the base Deployment.
    var baseContainer = base.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getImage()).isEqualTo(baseContainer.getImage());
    assertThat(container.getSecurityContext()).isEqualTo(baseContainer.getSecurityContext());
    assertThat(container.getResources()).isEqualTo(baseContainer.getResources());
    assertThat(container.getReadinessProbe()).isEqualTo(baseContainer.getReadinessProbe());
    assertThat(container.getEnv()).isEqualTo(baseContainer.getEnv());
    assertThat(variant.getSpec().getReplicas()).isEqualTo(base.getSpec().getReplicas());
  }

  @Test
  void theControllerMayDoWhatItNeeds() throws Exception {
    String ns = KUBE.server().createNamespace("rbac-ok");
    new CoreV1Api(KUBE.server().adminClient()).createNamespacedService(ns, TestServices.loadBalancer(ns, "svc")).execute();
    for (ApiClient client : asController()) {
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
    for (ApiClient client : asController()) {
      // Address claims: create, read, list, replace, delete (ADR 0008).
      var networking = new io.kubernetes.client.openapi.apis.NetworkingV1Api(client);
      String address = client == asController().get(0) ? "10.250.0.1" : "10.250.0.2";
      networking.createIPAddress(new io.kubernetes.client.openapi.models.V1IPAddress()
          .metadata(new V1ObjectMeta().name(address).putLabelsItem(AddressClaims.MANAGED_BY_LABEL, AddressClaims.MANAGED_BY))
          .spec(new io.kubernetes.client.openapi.models.V1IPAddressSpec().parentRef(
              new io.kubernetes.client.openapi.models.V1ParentReference().resource("services").namespace(ns).name("svc"))))
          .execute();
      var claim = networking.readIPAddress(address).execute();
      assertThat(networking.listIPAddress().labelSelector(AddressClaims.MANAGED_BY_LABEL + "=" + AddressClaims.MANAGED_BY)
          .execute().getItems()).isNotEmpty();
      networking.replaceIPAddress(address, claim.metadata(claim.getMetadata().putAnnotationsItem("x", "y"))).execute();
      try (okhttp3.Response deleted = networking.deleteIPAddress(address).buildCall(null).execute()) {
        assertThat(deleted.code()).isEqualTo(200);
      }
    }
    CoordinationV1Api leases = new CoordinationV1Api(asController().get(0));
    leases.createNamespacedLease("kube-system", new V1Lease()
        .metadata(new V1ObjectMeta().name("kube-vip-cloud-controller").namespace("kube-system"))
        .spec(new V1LeaseSpec().holderIdentity("test"))).execute();
    V1Lease lease = leases.readNamespacedLease("kube-vip-cloud-controller", "kube-system").execute();
    leases.replaceNamespacedLease("kube-vip-cloud-controller", "kube-system", lease.spec(lease.getSpec().holderIdentity("other"))).execute();
  }

  @Test
  void theControllerMayDoNothingMore() throws Exception {
    String ns = KUBE.server().createNamespace("rbac-deny");
    new CoreV1Api(KUBE.server().adminClient()).createNamespacedService(ns, TestServices.loadBalancer(ns, "svc")).execute();
    new CoreV1Api(KUBE.server().adminClient()).createNamespacedConfigMap("kube-system",
        new V1ConfigMap().metadata(new V1ObjectMeta().name("other").namespace("kube-system"))).execute();
    for (ApiClient client : asController()) {
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
      assertThat(status(() -> PatchUtils.patch(io.kubernetes.client.openapi.models.V1IPAddress.class,
          () -> new io.kubernetes.client.openapi.apis.NetworkingV1Api(client)
              .patchIPAddress("10.0.0.1", new V1Patch("{\"metadata\":{\"labels\":{\"a\":\"b\"}}}")).buildCall(null),
          V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH, client))).as("claims are replaced, never patched").isEqualTo(403);
    }
    assertThatThrownBy(() -> new CoreV1Api(asController().get(0)).listNamespace().execute())
        .isInstanceOf(ApiException.class);
  }
}

package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.testsupport.KubeApiServer;
import dev.lbipam.testsupport.KubeApiServerExtension;
import io.kubernetes.client.openapi.ApiClient;
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
    Manifests.installPrerequisites(server.adminClient());
    Manifests.create(server.adminClient(), Manifests.load("configmap-example.yaml"), false);
  }

  @Test
  void everyManifestPassesServerSideValidation() throws Exception {
    assertThat(validated)
        .contains("CustomResourceDefinition/addressclaims.lbipam.dev", "ServiceAccount/kube-vip-cloud-controller",
            "ClusterRole/lbipam-controller", "Role/lbipam-controller",
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
          .contains("customresourcedefinition.apiextensions.k8s.io/addressclaims.lbipam.dev")
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
    RbacChecks.mayDoWhatItNeeds(KUBE.server());
  }

  @Test
  void theControllerMayDoNothingMore() throws Exception {
    RbacChecks.mayDoNothingMore(KUBE.server());
  }
}

import { createRouter, createWebHistory, type RouteRecordRaw, type RouterHistory } from "vue-router";

/** Every named route of the app. */
export type RouteName =
  | "home"
  | "country"
  | "region"
  | "order"
  | "account-register"
  | "account-verify"
  | "account-login"
  | "account-reset"
  | "account-reset-confirm"
  | "account-orders"
  | "admin-providers"
  | "admin-provider"
  | "admin-catalog"
  | "admin-orders"
  | "admin-order"
  | "admin-customers"
  | "admin-payments"
  | "admin-email"
  | "admin-audit"
  | "admin-projections"
  | "not-found";

type NamedRoute = RouteRecordRaw & { name?: RouteName; children?: NamedRoute[] };

export const routes: NamedRoute[] = [
  { path: "/", name: "home", component: () => import("./pages/HomePage.vue") },
  {
    path: "/countries/:code",
    name: "country",
    component: () => import("./pages/PackagesPage.vue"),
    props: (route) => ({ kind: "country", code: String(route.params.code) }),
  },
  {
    path: "/regions/:code",
    name: "region",
    component: () => import("./pages/PackagesPage.vue"),
    props: (route) => ({ kind: "region", code: String(route.params.code) }),
  },
  { path: "/orders/:id", name: "order", component: () => import("./pages/OrderPage.vue"), props: true },
  { path: "/account/register", name: "account-register", component: () => import("./pages/account/RegisterPage.vue") },
  { path: "/account/verify", name: "account-verify", component: () => import("./pages/account/VerifyPage.vue") },
  { path: "/account/login", name: "account-login", component: () => import("./pages/account/LoginPage.vue") },
  { path: "/account/reset", name: "account-reset", component: () => import("./pages/account/ResetRequestPage.vue") },
  {
    path: "/account/reset/confirm",
    name: "account-reset-confirm",
    component: () => import("./pages/account/ResetConfirmPage.vue"),
  },
  { path: "/account/orders", name: "account-orders", component: () => import("./pages/account/OrdersPage.vue") },
  {
    path: "/admin",
    component: () => import("./pages/admin/AdminLayout.vue"),
    children: [
      { path: "", name: "admin-providers", component: () => import("./pages/admin/ProvidersPage.vue") },
      {
        path: "providers/:slug",
        name: "admin-provider",
        component: () => import("./pages/admin/ProviderPage.vue"),
        props: true,
      },
      {
        path: "providers/:slug/catalog",
        name: "admin-catalog",
        component: () => import("./pages/admin/CatalogPage.vue"),
        props: true,
      },
      { path: "orders", name: "admin-orders", component: () => import("./pages/admin/OrdersPage.vue") },
      {
        path: "orders/:id",
        name: "admin-order",
        component: () => import("./pages/admin/OrderDetailPage.vue"),
        props: true,
      },
      { path: "customers", name: "admin-customers", component: () => import("./pages/admin/CustomersPage.vue") },
      {
        path: "settings/payments",
        name: "admin-payments",
        component: () => import("./pages/admin/PaymentsPage.vue"),
      },
      { path: "settings/email", name: "admin-email", component: () => import("./pages/admin/EmailSettingsPage.vue") },
      { path: "audit", name: "admin-audit", component: () => import("./pages/admin/AuditPage.vue") },
      {
        path: "projections",
        name: "admin-projections",
        component: () => import("./pages/admin/ProjectionsPage.vue"),
      },
    ],
  },
  { path: "/:path(.*)*", name: "not-found", component: () => import("./pages/NotFoundPage.vue") },
];

export function makeRouter(history: RouterHistory = createWebHistory()) {
  return createRouter({
    history,
    routes,
    scrollBehavior: () => ({ top: 0 }),
  });
}

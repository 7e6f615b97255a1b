import { signIn, withApp } from "./support.ts";
await withApp("debug", async ({ app, page }) => {
  const times: number[] = [];
  page.on("request", (r) => {
    const h = r.headers();
    if (h["hx-request"] && !h["hx-current-url"]) times.push(Date.now());
  });
  await signIn(page, app.baseUrl, "admin");
  for (const name of ["In Progress", "Scheduled", "In Progress"]) {
    await page.getByRole("tab", { name }).click();
    await page.locator(`[role=tab][aria-selected=true]`, { hasText: name }).waitFor();
  }
  const t0 = Date.now();
  await page.waitForTimeout(4500);
  console.log(
    "fetches in 4.5s:",
    times.filter((t) => t >= t0).length,
    await page.locator(".refresh-status").textContent(),
  );
});

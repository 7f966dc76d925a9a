/*
 * cmd-apps.c - `bulkhead apps`: the application names rules may list, and how
 * application identification in the dp is doing.
 *
 * The names come from the policy library (policy-app.c), the one table both
 * `rule add --app` validation and the dp's DPI map into, so what this prints is
 * exactly what a rule accepts.
 */
#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "dp/dp.h"
#include "dp/dpi-t.h"
#include "policy/policy.h"

static json_t *dpi_json(struct bh_daemon *d)
{
	struct dpi_stats st = {0};

	if (d->dp)
		dp_dpi_stats(d->dp, &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i}", "inspected",
			 (json_int_t)st.inspected, "identified", (json_int_t)st.identified,
			 "gave_up", (json_int_t)st.gave_up, "not_inspected_pool_full",
			 (json_int_t)st.pool_full, "packets", (json_int_t)st.packets, "in_use",
			 (json_int_t)st.in_use, "cap_bytes", DPI_CAP_BYTES, "cap_packets",
			 DPI_CAP_PACKETS);
}

json_t *cmd_apps(struct bh_daemon *d, json_t *req)
{
	json_t *apps = json_array();

	(void)req;
	for (int a = BH_APP_FIRST_NAMED; apps && a < BH_APP__MAX; a++)
		json_array_append_new(apps, json_pack("{s:s, s:s}", "name", policy_app_name(a),
						      "desc", policy_app_desc(a)));
	return apps ? ctl_ok(json_pack("{s:o, s:o}", "apps", apps, "dpi", dpi_json(d)))
		    : ctl_error("out of memory");
}

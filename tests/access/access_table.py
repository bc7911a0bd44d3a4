"""The access matrix: what every role gets from every route of the portal, one row per route
and HTTP method (tests/access/test_access_matrix.py walks them).

Each row: the route (its name with namespaces, or its pattern when it has no name), the
method, the answers of the 11 roles in the order of the columns below, and the objects that
the URL points at (names of tests/access/world.py: ``pk=draft``; a quoted value is literal;
``?call=…`` goes in the query).

Answers: the status code, or ``lgn`` for a redirect to a sign-in page. Unsafe methods are sent
with an empty form (pages) or ``{}`` (API): a role that may act gets the form's or the
service's refusal (400, 409, a redirect with a message) or, where an empty body is enough, the
real answer (rolled back afterwards); a role that may not gets 403 (with the reason, where the
design says so), or 404 for an object it may not see (CONVENTIONS.md: "raise 404 for what the
user may not see"), or is sent to sign in; the API answers 401 to a visitor without
credentials.

A new route without a row fails the test, and so does a row without a route.
"""

# Read-only models of the admin site: no "add" page (they change through the portal's services,
# or are logs), and most of them no "delete" page either.
READ_ONLY = (
    "axes_accessattempt,axes_accesslog,axes_accessfailurelog,audit_auditevent,otp_totp_totpdevice,"
    "organizations_membershiprequest,jobs_job,mail_outgoingemail,applications_application,"
    "reviews_formalcheck,reviews_conflict,reviews_assignmentrun,reviews_assignment,reviews_review,"
    "reviews_publicity,reviews_objection,reviews_fundingnotice,reviews_award"
)
# Login attempts and authenticator devices may be deleted (to unlock or reset an account).
UNDELETABLE = ",".join(
    name
    for name in READ_ONLY.split(",")
    if name not in ("axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "otp_totp_totpdevice")
)

# Routes that another pattern answers first: the admin's sign-in page is the portal's.
SHADOWED = frozenset({"admin:login"})

# fmt: off
TABLE: tuple[tuple[str, str, str, str], ...] = (
    # route                                     method     ano own tm  oap ua  oua ex+ ex- ssc scq adm   objects
    #                                               anonymous, owner, teammate, other_applicant,
    #                                               unit_admin, other_unit_admin, expert_assigned,
    #                                               expert_unassigned, staff_sc, staff_cq, admin
    # --- The site shell and the accounts -----------------------------------------------------------------
    ("shell:home",                              "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("shell:healthz",                           "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("shell:set_language",                      "POST",   "400 400 400 400 400 400 400 400 400 400 400", ""),
    # Signed in already: sent home. Django's form views answer PUT as they answer POST.
    ("accounts:login",                          "GET",    "200 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:login",                          "POST",   "200 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:login",                          "PUT",    "200 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:logout",                         "POST",   "302 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:register",                       "GET",    "200 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:register",                       "POST",   "200 302 302 302 302 302 302 302 302 302 302", ""),
    ("accounts:register_done",                  "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    # The email's link activates the account, whoever opens it, and sends to the sign-in page.
    ("accounts:register_confirm",               "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn", "uidb64=confirm_uid token=confirm_token"),
    ("accounts:password_change",                "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_change",                "POST",   "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_change",                "PUT",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_reset",                 "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_reset",                 "POST",   "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_reset",                 "PUT",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:password_reset_done",            "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    # A valid link moves its token to the session and redirects to the form (Django's way).
    ("accounts:password_reset_confirm",         "GET",    "302 302 302 302 302 302 302 302 302 302 302", "uidb64=reset_uid token=reset_token"),
    ("accounts:password_reset_confirm",         "POST",   "302 302 302 302 302 302 302 302 302 302 302", "uidb64=reset_uid token=reset_token"),
    ("accounts:password_reset_confirm",         "PUT",    "302 302 302 302 302 302 302 302 302 302 302", "uidb64=reset_uid token=reset_token"),
    ("accounts:security",                       "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:profile",                        "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:profile",                        "POST",   "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:unit",                           "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    # Only researchers without a unit ask to join one (the world's experts have none, so their
    # empty form comes back); everyone else is sent back with the reason.
    ("accounts:unit",                           "POST",   "lgn 302 302 302 302 302 200 200 302 302 302", ""),
    ("accounts:two_factor",                     "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    ("accounts:two_factor",                     "POST",   "lgn 200 200 200 200 200 200 200 200 200 200", ""),

    # --- Calls (public) and applications -----------------------------------------------------------------
    ("calls:list",                              "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("calls:detail",                            "GET",    "200 200 200 200 200 200 200 200 200 200 200", "pk=call_open"),
    ("calls:guide_pdf",                         "GET",    "200 200 200 200 200 200 200 200 200 200 200", "pk=call_open"),
    # Printing the guide again: bureau staff and administrators.
    ("calls:guide_print",                       "POST",   "lgn 403 403 403 403 403 403 403 302 302 302", "pk=call_open"),
    # A unit administrator's list is the unit's own page.
    ("applications:list",                       "GET",    "lgn 200 200 200 302 302 200 200 200 200 200", ""),
    ("applications:new",                        "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", "?call=call_open"),
    # Only researchers apply (an empty form: 400); everyone else is told why (403).
    ("applications:new",                        "POST",   "lgn 400 400 400 403 403 403 403 403 403 403", "?call=call_open"),
    ("applications:unit_list",                  "GET",    "lgn 404 404 404 200 200 404 404 404 404 404", ""),
    # The team always; once submitted, the lead unit's administrator and both bureaus. The
    # partner unit's administrator and the experts never: to them it does not exist.
    ("applications:detail",                     "GET",    "lgn 200 200 404 200 404 404 404 200 200 200", "pk=submitted"),
    # A draft is the team's alone. Saved without the version that was read, a page is refused
    # as written over a newer version (409).
    ("applications:edit",                       "GET",    "lgn 200 200 404 404 404 404 404 404 404 404", "pk=draft section='basics'"),
    ("applications:edit",                       "POST",   "lgn 409 409 404 404 404 404 404 404 404 404", "pk=draft section='basics'"),
    ("applications:attachment",                 "GET",    "lgn 200 200 404 404 404 404 404 404 404 404", "pk=draft attachment_id=attachment"),
    ("applications:submit",                     "POST",   "lgn 302 302 404 404 404 404 404 404 404 404", "pk=draft"),
    # The moves: whoever reads the application is sent back to it, told whether the move
    # was theirs to make (a message, never an error page); returning needs a reason (400).
    ("applications:withdraw",                   "POST",   "lgn 302 302 404 302 404 404 404 302 302 302", "pk=submitted"),
    ("applications:endorse",                    "POST",   "lgn 302 302 404 302 404 404 404 302 302 302", "pk=submitted"),
    ("applications:return",                     "POST",   "lgn 302 302 404 400 404 404 404 302 302 302", "pk=submitted"),
    ("applications:print",                      "GET",    "lgn 200 200 404 200 404 404 404 200 200 200", "pk=submitted"),
    ("applications:verify",                     "GET",    "200 200 200 200 200 200 200 200 200 200 200", "code=submission_code"),

    # --- The review: formal check, pool, assignment, the expert's workspace, ranking ---------------------
    # The formal check: either bureau reads an application; the bureau of its lead unit's
    # province (Chongqing here) decides; an administrator does not.
    ("reviews:formal_check_list",               "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", ""),
    ("reviews:formal_check_detail",             "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=endorsed"),
    ("reviews:formal_check_detail",             "POST",   "lgn 404 404 404 404 404 404 404 403 400 403", "pk=endorsed"),
    ("reviews:expert_list",                     "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", ""),
    # Switching an expert on or off names the expert: none named, none found.
    ("reviews:expert_list",                     "POST",   "lgn 403 403 403 403 403 403 403 404 404 404", ""),
    ("reviews:expert_import",                   "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", ""),
    ("reviews:expert_import",                   "POST",   "lgn 403 403 403 403 403 403 403 200 200 200", ""),
    ("reviews:home",                            "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", ""),
    ("reviews:assignment_overview",             "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_review"),
    ("reviews:assignment_overview",             "POST",   "lgn 403 403 403 403 403 403 403 302 302 302", "call_pk=call_review"),
    ("reviews:assignment_run_detail",           "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_review pk=run"),
    # The panel names the experts: for the bureaus; to anyone else the page does not exist.
    ("reviews:panel_detail",                    "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=reviewing"),
    ("reviews:panel_detail",                    "POST",   "lgn 404 404 404 404 404 404 404 302 302 302", "pk=reviewing"),
    ("reviews:review_progress",                 "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_review"),
    ("reviews:my_assignments",                  "GET",    "lgn 403 403 403 403 403 200 200 403 403 403", ""),
    # An assignment is its expert's alone (staff read the reviews on the panel page). The
    # review is submitted: another save is sent back with the reason.
    ("reviews:assignment_detail",               "GET",    "lgn 404 404 404 404 404 200 404 404 404 404", "pk=assignment"),
    ("reviews:assignment_declare",              "POST",   "lgn 404 404 404 404 404 400 404 404 404 404", "pk=assignment"),
    ("reviews:assignment_review",               "POST",   "lgn 404 404 404 404 404 302 404 404 404 404", "pk=assignment"),
    ("reviews:assignment_pdf",                  "GET",    "lgn 404 404 404 404 404 200 404 404 404 404", "pk=assignment"),
    # Reopening a submitted review: the bureaus, with a reason (400 without).
    ("reviews:review_reopen",                   "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=assignment"),
    ("reviews:review_reopen",                   "POST",   "lgn 404 404 404 404 404 404 404 400 400 400", "pk=assignment"),
    ("reviews:ranking",                         "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_review"),

    # --- The decision: awards, announcement, objections, notices, dashboard and exports ------------------
    ("reviews:awards",                          "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_decision"),
    ("reviews:shortlist",                       "POST",   "lgn 403 403 403 403 403 403 403 400 400 400", "call_pk=call_decision"),
    ("reviews:awards_suggest",                  "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_decision"),
    ("reviews:awards_suggest",                  "POST",   "lgn 403 403 403 403 403 403 403 302 302 302", "call_pk=call_decision"),
    ("reviews:award_edit",                      "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=shortlisted"),
    ("reviews:award_edit",                      "POST",   "lgn 404 404 404 404 404 404 404 409 409 409", "pk=shortlisted"),
    # One approval per bureau; an administrator has no province (403, with the reason).
    ("reviews:award_approve",                   "POST",   "lgn 404 404 404 404 404 404 404 302 302 403", "pk=award_proposed"),
    ("reviews:publicity",                       "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_pub"),
    ("reviews:publicity",                       "POST",   "lgn 403 403 403 403 403 403 403 302 302 302", "call_pk=call_pub"),
    ("reviews:objection_detail",                "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=objection"),
    ("reviews:objection_detail",                "POST",   "lgn 404 404 404 404 404 404 404 400 400 400", "pk=objection"),
    ("reviews:objection_attachment",            "GET",    "lgn 404 404 404 404 404 404 404 200 200 200", "pk=objection"),
    ("reviews:notices",                         "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_final"),
    ("reviews:notices",                         "POST",   "lgn 403 403 403 403 403 403 403 302 302 302", "call_pk=call_final"),
    # Each person's own notices (none but the project leader's and the lead unit's).
    ("reviews:my_notices",                      "GET",    "lgn 200 200 200 200 200 200 200 200 200 200", ""),
    # A notice: the bureaus, the project leader and the lead unit's administrator. Who may
    # read it but not make it anew is told why (403); to anyone else it does not exist.
    ("reviews:notice_detail",                   "GET",    "lgn 200 404 404 200 404 404 404 200 200 200", "pk=notice"),
    ("reviews:notice_pdf",                      "GET",    "lgn 200 404 404 200 404 404 404 200 200 200", "pk=notice"),
    ("reviews:notice_regenerate",               "POST",   "lgn 403 404 404 403 404 404 404 400 400 400", "pk=notice"),
    ("reviews:dashboard",                       "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_final"),
    ("reviews:awards_export",                   "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_final"),
    ("reviews:applications_export",             "GET",    "lgn 403 403 403 403 403 403 403 200 200 200", "call_pk=call_final"),

    # --- Public pages of the decision --------------------------------------------------------------------
    ("public:announcements",                    "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("public:announcement",                     "GET",    "200 200 200 200 200 200 200 200 200 200 200", "call_pk=call_pub"),
    ("public:objection_new",                    "GET",    "200 200 200 200 200 200 200 200 200 200 200", "call_pk=call_pub"),
    ("public:objection_new",                    "POST",   "400 400 400 400 400 400 400 400 400 400 400", "call_pk=call_pub"),
    ("public:notice_verify",                    "GET",    "200 200 200 200 200 200 200 200 200 200 200", "code=notice_code"),

    # --- Units and jobs ----------------------------------------------------------------------------------
    # A unit administrator's own unit; a request to join is decided by the unit asked only
    # (a rejection needs its reason: the form comes back).
    ("units:members",                           "GET",    "lgn 404 404 404 200 200 404 404 404 404 404", ""),
    ("units:request_approve",                   "POST",   "lgn 404 404 404 302 404 404 404 404 404 404", "pk=membership_request"),
    ("units:request_reject",                    "POST",   "lgn 404 404 404 200 404 404 404 404 404 404", "pk=membership_request"),
    # A job: its creator (the owner's print), bureau staff and administrators.
    ("jobs:status",                             "GET",    "lgn 200 404 404 404 404 404 404 200 200 200", "pk=job"),

    # --- The API (/api/v1/): sign-in, units, jobs --------------------------------------------------------
    # The API asks the same permission functions. A visitor without credentials gets 401; a
    # move that is not the role's is 403 where the page sends back with a message.
    ("auth_api:token",                          "POST",   "400 400 400 400 400 400 400 400 400 400 400", ""),
    ("auth_api:token",                          "DELETE", "401 204 204 204 204 204 204 204 204 204 204", ""),
    ("auth_api:me",                             "GET",    "401 200 200 200 200 200 200 200 200 200 200", ""),
    ("auth_api:me",                             "PATCH",  "401 200 200 200 200 200 200 200 200 200 200", ""),
    ("api-organizations",                       "GET",    "401 200 200 200 200 200 200 200 200 200 200", ""),
    ("api-organizations",                       "POST",   "401 403 403 403 403 403 403 403 400 400 400", ""),
    ("api-job",                                 "GET",    "401 200 404 404 404 404 404 404 200 200 200", "pk=job"),

    # --- The API: calls and applications -----------------------------------------------------------------
    ("api-calls-list",                          "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("api-calls-detail",                        "GET",    "200 200 200 200 200 200 200 200 200 200 200", "pk=call_open"),
    ("api-calls-tasks",                         "GET",    "200 200 200 200 200 200 200 200 200 200 200", "pk=call_open"),
    ("api-applications-list",                   "GET",    "401 200 200 200 200 200 200 200 200 200 200", ""),
    # Validated before the role is checked: an empty body is 400 for every signed-in role.
    ("api-applications-list",                   "POST",   "401 400 400 400 400 400 400 400 400 400 400", ""),
    ("api-applications-detail",                 "GET",    "401 200 200 404 200 404 404 404 200 200 200", "pk=submitted"),
    ("api-applications-detail",                 "PATCH",  "401 400 400 404 404 404 404 404 404 404 404", "pk=draft"),
    ("api-applications-attachments",            "POST",   "401 415 415 404 404 404 404 404 404 404 404", "pk=draft"),
    ("api-applications-commitment",             "POST",   "401 400 403 404 404 404 404 404 404 404 404", "pk=draft"),
    ("api-applications-endorse",                "POST",   "401 403 403 404 200 404 404 404 403 403 403", "pk=submitted"),
    # The official print is queued (202) for the application's readers.
    ("api-applications-pdf",                    "GET",    "401 202 202 404 202 404 404 404 202 202 202", "pk=submitted"),
    ("api-applications-return",                 "POST",   "401 403 403 404 400 404 404 404 403 403 403", "pk=submitted"),
    ("api-applications-submit",                 "POST",   "401 200 403 404 404 404 404 404 404 404 404", "pk=draft"),
    ("api-applications-withdraw",               "POST",   "401 200 403 404 403 404 404 404 403 403 403", "pk=submitted"),

    # --- The API: the review and the decision ------------------------------------------------------------
    ("api-eligibility",                         "GET",    "401 404 404 404 404 404 404 404 200 200 200", "pk=endorsed"),
    ("api-formal-check",                        "POST",   "401 404 404 404 404 404 404 404 403 400 403", "pk=endorsed"),
    # A file upload, multipart only: `{}` as JSON is 415 for those who may import.
    ("api-reviewers-import",                    "POST",   "401 403 403 403 403 403 403 403 415 415 415", ""),
    ("api-assignments-run",                     "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_review"),
    ("api-assignments-run",                     "POST",   "401 403 403 403 403 403 403 403 202 202 202", "pk=call_review"),
    ("api-ranking",                             "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_review"),
    ("api-assignments-declare",                 "POST",   "401 404 404 404 404 404 400 404 404 404 404", "pk=assignment"),
    ("api-assignments-review",                  "GET",    "401 404 404 404 404 404 200 404 404 404 404", "pk=assignment"),
    ("api-assignments-review",                  "PUT",    "401 404 404 404 404 404 409 404 404 404 404", "pk=assignment"),
    ("api-shortlist",                           "POST",   "401 403 403 403 403 403 403 403 400 400 400", "pk=call_decision"),
    ("api-awards-suggest",                      "POST",   "401 403 403 403 403 403 403 403 200 200 200", "pk=call_decision"),
    ("api-awards",                              "GET",    "401 403 403 403 403 403 403 403 200 200 200", ""),
    ("api-awards",                              "POST",   "401 403 403 403 403 403 403 403 400 400 400", ""),
    ("api-award",                               "GET",    "401 404 404 404 404 404 404 404 200 200 200", "pk=award_proposed"),
    ("api-award",                               "PATCH",  "401 404 404 404 404 404 404 404 400 400 400", "pk=award_proposed"),
    ("api-award",                               "DELETE", "401 404 404 404 404 404 404 404 400 400 400", "pk=award_proposed"),
    ("api-award-approve",                       "POST",   "401 404 404 404 404 404 404 404 200 200 403", "pk=award_proposed"),
    ("api-publicity",                           "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_pub"),
    ("api-publicity",                           "POST",   "401 403 403 403 403 403 403 403 400 400 400", "pk=call_pub"),
    ("api-objection-resolve",                   "POST",   "401 404 404 404 404 404 404 404 400 400 400", "pk=objection"),
    ("api-notices",                             "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_final"),
    ("api-notices",                             "POST",   "401 403 403 403 403 403 403 403 202 202 202", "pk=call_final"),
    ("api-notice-pdf",                          "GET",    "401 200 404 404 200 404 404 404 200 200 200", "pk=notice"),
    ("api-notice-regenerate",                   "POST",   "401 403 404 404 403 404 404 404 400 400 400", "pk=notice"),
    ("api-awards-export",                       "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_final"),
    ("api-applications-export",                 "GET",    "401 403 403 403 403 403 403 403 200 200 200", "pk=call_final"),
    ("api-assignments-list",                    "GET",    "401 200 200 200 200 200 200 200 200 200 200", ""),
    ("api-assignments-list",                    "POST",   "401 403 403 403 403 403 403 403 400 400 400", ""),
    # The API lets the bureaus read every assignment; the expert reads, not removes, theirs.
    ("api-assignments-detail",                  "GET",    "401 404 404 404 404 404 200 404 200 200 200", "pk=assignment"),
    ("api-assignments-detail",                  "DELETE", "401 404 404 404 404 404 403 404 400 400 400", "pk=assignment"),

    # --- The API's schema and its documentation page -----------------------------------------------------
    ("api-schema",                              "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),
    ("api-docs",                                "GET",    "200 200 200 200 200 200 200 200 200 200 200", ""),

    # --- The admin site (namespace "admin"), walked with GET only --------------------------------------
    # Only administrators (is_staff) reach it; everyone else is sent to sign in. Its forms and
    # actions are Django's own and not posted here: what is checked is who reaches which page.
    # The pages of a model get the first object of the model in the world.
    ("admin:index",                             "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    # The portal's sign-in page stands in for the admin's (the admin's own pattern is shadowed):
    # a signed-in person who may not use the admin is told so; an administrator goes on to it.
    ("admin/login/",                            "GET",    "lgn 403 403 403 403 403 403 403 403 403 302", ""),
    ("admin:login",                             "GET",    "lgn 403 403 403 403 403 403 403 403 403 302", ""),
    # Signing out is a POST; the admin sends anyone else's GET back to its index.
    ("admin:logout",                            "GET",    "302 302 302 302 302 302 302 302 302 302 405", ""),
    ("admin:password_change",                   "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin:password_change_done",              "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    # Autocomplete answers only the admin's own widgets (a field and a model in the query).
    ("admin:autocomplete",                      "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 403", ""),
    ("admin:jsi18n",                            "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    # A call has no page of its own outside the admin to "view on site".
    ("admin:view_on_site",                      "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 404", ""),
    ("admin:app_list",                          "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin/(?P<url>.*)$",                      "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 404", ""),
    ("admin:auth_user_password_change",         "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin:otp_totp_totpdevice_config",        "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin:otp_totp_totpdevice_qrcode",        "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    # Every model's list, history and change page; its bare URL redirects to the change page.
    ("admin:*_changelist",                      "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin:*_history",                         "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin:*_change",                          "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    ("admin/*/<path:object_id>/",               "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 302", ""),
    # Adding and deleting: the models that change only through the portal's services (and
    # the logs) are read-only in the admin.
    ("admin:*_add",                             "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    (f"admin:{{{READ_ONLY}}}_add",              "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 403", ""),
    ("admin:*_delete",                          "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 200", ""),
    (f"admin:{{{UNDELETABLE}}}_delete",         "GET",    "lgn lgn lgn lgn lgn lgn lgn lgn lgn lgn 403", ""),
)
# fmt: on

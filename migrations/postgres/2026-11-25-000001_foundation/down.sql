DROP TABLE app_meta;
DROP TABLE season_rules;
DROP TABLE sms_codes;
DROP TABLE login_attempts;
DROP TABLE refresh_tokens;
DROP TABLE accounts;
DROP TABLE orgs;

//! CC-Gateway retcodes (cc-gateway.md §8) in both languages. An unknown code still reaches
//! the agent, with the gateway's own message beside it.

use super::Lang;

/// `(code, zh-CN, en)`.
pub const RETCODES: &[(&str, &str, &str)] = &[
    ("000-001", "请求方法或事件错误", "Wrong request method or event"),
    ("000-002", "参数或地址错误", "Invalid parameter or URL"),
    ("000-003", "没有权限:鉴权失败", "No permission: authentication failed"),
    ("000-004", "网关正在切换,请稍后重试", "The gateway is failing over; try again shortly"),
    ("000-005", "网关内部错误", "Internal gateway error"),
    ("000-006", "消息参数错误", "Message parameter error"),
    ("000-007", "重复的请求", "Duplicate request"),
    ("100-001", "签入参数无效", "Invalid sign-in parameters"),
    ("100-002", "座席已经签入", "The agent is already signed in"),
    ("100-003", "签入时 CTI 异常", "CTI error during sign-in"),
    ("100-004", "工号或密码错误", "Wrong agent ID or password"),
    ("100-005", "签出参数无效", "Invalid sign-out parameters"),
    ("100-006", "座席未签入或会话已失效", "The agent is not signed in, or the session expired"),
    (
        "100-007",
        "网关内部错误,或当前状态不允许该操作",
        "Internal error, or the current state does not allow this",
    ),
    ("100-008", "座席已经签出", "The agent is already signed out"),
    ("100-009", "状态切换失败或不允许", "The state change failed or is not allowed"),
    ("100-010", "当前状态不允许签出(例如通话中)", "Sign-out refused in the current state (e.g. on a call)"),
    ("100-011", "座席操作失败", "The agent operation failed"),
    ("100-012", "座席类型错误", "Wrong agent type"),
    ("100-013", "电话号码无效", "Invalid phone number"),
    ("100-014", "电话号码不在配置范围内", "The phone number is outside the configured range"),
    ("100-015", "已在别处签入且不能强制签入", "Signed in elsewhere and cannot be taken over"),
    ("100-016", "IP 地址无效", "Invalid IP address"),
    ("100-017", "uPortal 鉴权失败", "uPortal authentication failed"),
    ("100-018", "VDN 不匹配", "VDN mismatch"),
    ("100-019", "技能查询参数无效", "Invalid skill query parameters"),
    ("100-020", "密码已过期,请修改密码", "The password has expired; change it"),
    ("100-021", "正在签入,请稍候", "A sign-in is already in progress; wait"),
    ("110-016", "账号已锁定", "The account is locked"),
    ("105-001", "系统处于容灾状态", "The system is in disaster-recovery state"),
    ("105-002", "系统处于容灾恢复中", "The system is recovering from disaster recovery"),
    ("105-003", "容灾状态下不允许该操作", "Not allowed during disaster recovery"),
    ("105-004", "容灾恢复中不允许该操作", "Not allowed while recovering"),
    ("105-005", "需要重新签入", "You must sign in again"),
    ("105-006", "需要重新签入", "You must sign in again"),
    ("105-007", "需要重新签入", "You must sign in again"),
    ("106-001", "多媒体开关未打开", "Multimedia is switched off"),
    ("106-002", "消息为空", "The message is empty"),
    ("106-003", "会话数过多(超过 60)", "Too many sessions (more than 60)"),
    ("106-004", "会话转移:设备类型无效", "Session transfer: invalid device type"),
    ("106-005", "会话转移失败", "Session transfer failed"),
    ("106-006", "会话转移失败", "Session transfer failed"),
    ("106-007", "多媒体会话操作失败", "Multimedia session operation failed"),
    ("106-008", "多媒体会话操作失败", "Multimedia session operation failed"),
    ("106-009", "会话转移失败", "Session transfer failed"),
    ("106-010", "会话转移失败", "Session transfer failed"),
    ("106-011", "多媒体会话操作失败", "Multimedia session operation failed"),
    ("106-012", "会话转移失败", "Session transfer failed"),
    ("200-001", "外呼号码无效", "Invalid number to call"),
    ("200-002", "没有可接听或拒接的呼叫", "No call to answer or reject"),
    ("200-003", "静音失败:没有呼叫", "Mute failed: no call"),
    ("200-004", "静音失败:状态不对", "Mute failed: wrong state"),
    ("200-005", "连接保持呼叫失败:没有呼叫", "Connect held call failed: no call"),
    ("200-006", "连接保持呼叫失败:状态不对", "Connect held call failed: wrong state"),
    ("200-007", "取消静音失败:没有呼叫", "Unmute failed: no call"),
    ("200-008", "取消静音失败:状态不对", "Unmute failed: wrong state"),
    ("200-009", "呼叫操作失败", "The call operation failed"),
    ("200-010", "三方通话失败:没有呼叫", "Three-party call failed: no call"),
    ("200-011", "三方通话失败:状态不对", "Three-party call failed: wrong state"),
    ("200-012", "转接失败:没有呼叫", "Transfer failed: no call"),
    ("200-013", "保持失败:没有呼叫", "Hold failed: no call"),
    ("200-014", "保持失败:状态不对", "Hold failed: wrong state"),
    ("200-015", "取回失败:没有保持的呼叫", "Retrieve failed: no held call"),
    ("200-016", "取回失败:状态不对", "Retrieve failed: wrong state"),
    ("200-017", "挂断失败:呼叫不存在", "Hang-up failed: the call does not exist"),
    ("200-018", "咨询失败:没有呼叫", "Consult failed: no call"),
    ("200-019", "呼叫操作失败", "The call operation failed"),
    ("200-020", "呼叫操作失败", "The call operation failed"),
    ("200-021", "呼叫操作失败", "The call operation failed"),
    ("200-022", "呼叫操作失败", "The call operation failed"),
    ("200-023", "呼叫操作失败", "The call operation failed"),
    ("200-024", "呼叫操作失败", "The call operation failed"),
    ("200-025", "呼叫操作失败", "The call operation failed"),
    ("200-026", "呼叫操作失败", "The call operation failed"),
    ("200-027", "呼叫操作失败", "The call operation failed"),
    ("200-028", "呼叫操作失败", "The call operation failed"),
    ("200-029", "呼叫操作失败", "The call operation failed"),
    ("200-030", "呼叫操作失败", "The call operation failed"),
    ("200-031", "呼叫操作失败", "The call operation failed"),
    ("200-032", "呼叫操作失败", "The call operation failed"),
    ("200-033", "呼叫操作失败", "The call operation failed"),
    ("200-034", "呼叫操作失败", "The call operation failed"),
    ("200-035", "呼叫操作失败", "The call operation failed"),
    ("200-036", "呼叫操作失败", "The call operation failed"),
    ("200-037", "拒接失败", "Reject failed"),
    ("200-038", "拒接失败", "Reject failed"),
    ("200-039", "拒接失败", "Reject failed"),
    ("300-001", "无权查询该座席", "No right to query this agent"),
    ("300-002", "查询失败", "The query failed"),
    ("300-003", "查询失败", "The query failed"),
    ("300-004", "查询失败", "The query failed"),
    ("400-001", "设置随路数据失败", "Setting call data failed"),
    ("400-002", "设置随路数据失败", "Setting call data failed"),
    ("400-003", "没有保持的呼叫", "No held call"),
    ("600-001", "队列或技能查询失败", "Queue or skill query failed"),
    ("600-002", "队列或技能查询失败", "Queue or skill query failed"),
    ("600-003", "队列或技能查询失败", "Queue or skill query failed"),
    ("600-004", "队列或技能查询失败", "Queue or skill query failed"),
    ("600-005", "技能队列查询失败", "Skill queue query failed"),
];

/// Alibaba Cloud CCC codes (seed 000's table, aliyun-ccc.md §4) and the signing bridge's own
/// (bridge/README.md), `(code, zh-CN, en)`.
pub const CCC_CODES: &[(&str, &str, &str)] = &[
    ("Parameter.Blank", "参数不能为空", "A parameter may not be blank"),
    (
        "InvalidOperation.ChannelState",
        "通话线路当前的状态不允许该操作",
        "The call leg's state does not allow this",
    ),
    ("InvalidOperation.UserState", "座席当前的状态不允许该操作", "Your current state does not allow this"),
    ("NotExists.ChannelId", "通话中不存在指定的线路", "That call leg does not exist in the call"),
    ("NotExists.InstanceId", "呼叫中心实例不存在", "The contact-center instance does not exist"),
    ("NotExists.JobId", "指定的通话不存在", "That call does not exist"),
    ("NotExists.UserId", "座席不存在", "The agent does not exist"),
    ("NotExists.ContactId", "还没有这个通话的记录", "There is no record of that call (yet)"),
    ("InternalService.CTI", "呼叫中心内部 CTI 服务错误", "Internal CTI service error in the contact center"),
    ("Authentication.Failed", "登录名或密码错误", "Wrong login name or password"),
    ("Unauthorized.Session", "登录已失效,请重新签入", "Your sign-in has expired; sign in again"),
    ("Unauthorized.Proxy", "代理的凭据被拒绝", "The proxy's credentials were refused"),
    ("Permission.User", "没有这个座席的权限", "No permission for this agent"),
    ("Throttling.Login", "登录失败次数过多,暂时锁定", "Too many failed sign-ins: locked for a while"),
    ("Throttling.LoginBusy", "同时登录的人太多,请稍后重试", "Too many sign-ins at once; try again shortly"),
    ("Throttling.Session", "操作过于频繁,请稍后再试", "Too many requests at once; try again shortly"),
    (
        "Forbidden.Origin",
        "请求不是来自工具条自己的页面",
        "The request did not come from the toolbar's own page",
    ),
    ("Forbidden.Action", "不允许这个操作", "This action is not allowed"),
    ("Forbidden.Parameter", "请求含有不允许的参数", "The request carries a parameter that is not allowed"),
    ("Forbidden.Resource", "这个通话不属于你", "That call is not yours"),
    (
        "Forbidden.Destination",
        "不允许拨打或转接到这个号码",
        "Calling or transferring to this number is not allowed",
    ),
    ("MissingParameter.Action", "请求缺少操作名", "The request names no action"),
    ("Bridge.ContentType", "请求格式不正确", "The request is not in the expected format"),
    ("Bridge.BadRequest", "请求格式不正确", "The request is not in the expected format"),
    ("Bridge.TooLarge", "请求过大", "The request is too large"),
    ("Bridge.Upstream", "无法连接呼叫中心", "The contact center cannot be reached"),
];

/// The text for a retcode, when the table has it. Families the reference lists only as
/// ranges (101 conference, 104 recording, 500 playback, 900 inspection) get a family text.
pub fn retcode_text(code: &str, lang: Lang) -> Option<&'static str> {
    let pick = |zh: &'static str, en: &'static str| Some(if lang == Lang::Zh { zh } else { en });
    if let Some(&(_, zh, en)) = RETCODES.iter().chain(CCC_CODES).find(|(c, _, _)| *c == code) {
        return pick(zh, en);
    }
    match code.split('-').next()? {
        "101" => pick("会议操作失败", "Conference operation failed"),
        "104" => pick("录音操作失败", "Recording operation failed"),
        "500" => pick("放音操作失败", "Voice playback failed"),
        "900" => pick("质检操作失败", "Quality-inspection operation failed"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ccc_and_bridge_code_has_both_languages() {
        for (code, zh, en) in CCC_CODES {
            assert!(!zh.is_empty() && !en.is_empty(), "{code}");
            assert_eq!(retcode_text(code, Lang::En), Some(*en));
        }
        // Seed 000's error table, code by code.
        for code in
            "Parameter.Blank InvalidOperation.ChannelState InvalidOperation.UserState NotExists.ChannelId \
            NotExists.InstanceId NotExists.JobId InternalService.CTI"
                .split_whitespace()
        {
            assert!(retcode_text(code, Lang::Zh).is_some(), "{code}");
        }
    }

    #[test]
    fn every_code_of_the_reference_has_both_languages() {
        // cc-gateway.md §8, code by code.
        let listed =
            "000-001 000-002 000-003 000-004 000-005 000-006 000-007 100-001 100-002 100-003 100-004 \
            100-005 100-006 100-007 100-008 100-009 100-010 100-011 100-012 100-013 100-014 100-015 100-016 \
            100-017 100-018 100-019 100-020 100-021 110-016 101-001 104-001 105-001 105-005 105-006 105-007 \
            106-001 106-002 106-003 106-004 106-005 106-012 200-001 200-002 200-003 200-017 200-018 200-019 \
            200-037 200-038 200-039 300-001 300-004 400-001 400-002 400-003 500-001 600-001 600-005 900-001";
        for code in listed.split_whitespace() {
            for lang in [Lang::Zh, Lang::En] {
                assert!(retcode_text(code, lang).is_some_and(|t| !t.is_empty()), "{code} {lang:?}");
            }
        }
        assert_eq!(retcode_text("777-777", Lang::En), None);
    }

    #[test]
    fn no_code_is_listed_twice() {
        let mut codes: Vec<_> = RETCODES.iter().map(|(c, _, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), RETCODES.len());
    }
}

//! zh-CN and en texts. Every key is an enum variant and every variant's match arm holds both
//! languages, so a missing translation is a compile error, not a blank button.

mod retcodes;

pub use retcodes::{retcode_text, RETCODES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Zh,
    #[default]
    En,
}

impl Lang {
    /// Picks a language from a browser language tag (`navigator.language`).
    pub fn from_tag(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

macro_rules! messages {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A text the toolbar shows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($key),* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$key, Lang::Zh) => $zh, (Msg::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

messages! {
    // Sign-in
    SignInTitle => "座席签入", "Agent sign-in";
    AgentId => "工号", "Agent ID";
    LoginName => "登录名", "Login name";
    Password => "密码", "Password";
    PhoneNumber => "电话号码", "Phone number";
    InitialState => "签入后状态", "State after sign-in";
    SignIn => "签入", "Sign in";
    ForceSignIn => "强制签入(接管另一处的会话)", "Sign in here anyway (take over the other session)";
    SignOut => "签出", "Sign out";
    AgentIdInvalid => "工号应为 101 到 59999 之间的数字", "The agent ID is a number from 101 to 59999";
    PasswordMissing => "请输入密码", "Enter the password";
    PhoneInvalid => "电话号码为 1 到 24 位数字", "The phone number is 1 to 24 digits";
    AutoEnterIdle => "通话结束后自动示闲", "Become ready automatically after each call";
    // Agent states
    StateSignedOut => "未签入", "Signed out";
    StateSigningIn => "正在签入…", "Signing in…";
    StateIdle => "空闲", "Ready";
    StateBusy => "示忙", "Busy";
    StateRest => "休息", "On break";
    StateRestOverdue => "休息已超时", "Break time is over";
    StateWrapUp => "整理态", "Wrap-up";
    StateRinging => "振铃中", "Ringing";
    StateTalking => "通话中", "On a call";
    StateHeld => "保持中", "On hold";
    StateDialing => "呼出中", "Dialing";
    Ready => "示闲", "Ready";
    Busy => "示忙", "Busy";
    Rest => "休息", "Break";
    WrapUp => "整理", "Wrap-up";
    LeaveWrapUp => "结束整理", "End wrap-up";
    BusyReason => "示忙原因", "Busy reason";
    NoReason => "无原因", "No reason";
    RestMinutes => "分钟", "minutes";
    RestCause => "休息原因", "Break reason";
    StartRest => "开始休息", "Start break";
    TimeLeft => "剩余", "left";
    Cancel => "取消", "Cancel";
    // Ringing and reject
    IncomingCall => "来电", "Incoming call";
    Caller => "主叫", "Caller";
    Called => "被叫", "Called";
    Skill => "技能队列", "Skill queue";
    TransferredFrom => "转接自", "Transferred by";
    MediaVoice => "语音", "Voice";
    MediaVideo => "视频", "Video";
    MediaChat => "文字会话", "Chat";
    Answer => "接听", "Answer";
    Reject => "拒接", "Reject";
    RejectTitle => "拒接这个来电?", "Reject this call?";
    RejectRequeue => "退回队列,并将我置为示忙", "Return the call to the queue and set me busy";
    RejectRequeueHint => "其他座席可以接听这个客户;你在示闲之前不会再收到来电。", "Another agent can take this customer; you get no calls until you are ready again.";
    RejectRelease => "挂断这个来电,我保持空闲", "Release the call and stay ready";
    RejectReleaseHint => "这个来电被挂断;你马上可以接下一个来电。", "The caller is disconnected; your next call can ring at once.";
    RejectConfirm => "确认拒接", "Reject the call";
    // Call panel
    Inbound => "呼入", "Inbound";
    Outbound => "呼出", "Outbound";
    Internal => "内部呼叫", "Internal";
    HangUp => "挂断", "Hang up";
    Hold => "保持", "Hold";
    Retrieve => "取回", "Retrieve";
    Mute => "静音", "Mute";
    Unmute => "取消静音", "Unmute";
    Keypad => "拨号盘", "Keypad";
    SendDigits => "发送按键", "Send digits";
    CallOut => "外呼", "Call out";
    Dial => "拨打", "Dial";
    NumberToDial => "要拨打的号码", "Number to dial";
    DialInvalid => "号码为 1 到 24 位,只能含数字、* 和 #", "A number is 1 to 24 characters: digits, * and #";
    Muted => "已静音", "Muted";
    // Connection and notices
    Online => "已连接", "Connected";
    Offline => "未连接", "Not connected";
    Reconnecting => "正在重新连接…", "Reconnecting…";
    Dismiss => "关闭", "Dismiss";
    Language => "English", "中文";
    SessionLost => "与网关的会话已失效,请重新签入", "The gateway no longer knows this session; sign in again";
    SignedOutByGateway => "网关已将你签出", "The gateway signed you out";
    GatewayError => "网关拒绝了这个操作", "The gateway refused this action";
    AlreadySignedIn => "这个工号已在别处签入", "This agent is already signed in somewhere else";
    BadCredentials => "工号或密码错误", "Wrong agent ID or password";
    SignOutInCall => "通话中不能签出,请先结束通话", "You cannot sign out during a call: finish the call first";
    CallAlreadyGone => "这个呼叫已经不存在了", "That call is already gone";
    WrongState => "当前状态不允许这个操作,已重新读取状态", "Your current state does not allow that; the state was re-read";
    NetworkError => "无法连接网关,请检查网络", "The gateway cannot be reached; check the network";
    EngineUnavailable => "工具栏未能完整加载,请检查网络后重试", "Part of the toolbar could not be loaded; check the network and try again";
    ConnectFailed => "连接对方失败", "The other party could not be reached";
    TransferFailed => "转接失败,你仍在通话中", "The transfer failed; you are still on the call";
    Code => "错误码", "Code";
    SoundOff => "铃声未开启:点击开启", "Ringtone is off: click to turn it on";
    NotificationsOff => "桌面通知未开启:点击允许", "Desktop alerts are off: click to allow";
    Volume => "铃声音量", "Ring volume";
    TestRing => "试听铃声", "Test ring";
    VoiceTitle => "网页电话", "Browser phone";
    VoiceUser => "分机号", "Extension";
    VoicePassword => "分机密码", "Extension password";
    VoiceConnect => "连接话音", "Connect voice";
    VoiceDisconnect => "断开话音", "Disconnect voice";
    VoiceOff => "话音未连接", "Voice not connected";
    VoiceConnecting => "话音连接中…", "Connecting voice…";
    VoiceRegistered => "话音已就绪", "Voice ready";
    VoiceReconnecting => "话音连接中断,正在重连并重新注册…", "Voice connection lost: reconnecting and registering again…";
    VoiceRegisterFailed => "分机注册失败", "The extension could not register";
    VoiceBadCredentials => "分机号或密码错误", "Wrong extension or password";
    VoiceIncoming => "网页电话来电", "Incoming call on the browser phone";
    VoiceDial => "拨打", "Call";
    VoiceNumber => "号码", "Number";
    VoiceCallEnded => "通话已结束", "Call ended";
    VoiceMicDenied => "无法使用麦克风:浏览器未获授权或没有麦克风。请在地址栏允许麦克风后重试。", "The microphone cannot be used: the browser was not allowed to, or there is none. Allow the microphone in the address bar and try again.";
    VoiceNeedsTurn => "话音无法连通:网络可能屏蔽了 UDP,需要配置 TURN 中继服务器。", "No audio path: the network likely blocks UDP, and a TURN relay server is needed.";
    VoiceNoPath => "话音无法连通(包括经 TURN 中继)。请检查网络。", "No audio path, even through the TURN relay. Check the network.";
    VoiceNothingReceived => "听不到对方:5 秒内未收到对方的语音包。", "You cannot hear the other side: no audio has arrived for 5 seconds.";
    VoiceNothingSent => "对方听不到您:您的语音未发送出去。", "The other side cannot hear you: your audio is not being sent.";
    VoiceSilentMic => "您的麦克风没有声音:请检查耳机静音开关或所选麦克风。", "Your microphone is silent: check the headset's mute switch or the microphone chosen.";
    VoiceMicrophone => "麦克风", "Microphone";
    VoiceSpeaker => "扬声器", "Speaker";
    VoiceRinger => "振铃设备", "Ringer";
    VoiceDefaultDevice => "系统默认", "System default";
    VoiceTestAudio => "测试我的音频", "Test my audio";
    VoiceStopTest => "停止测试", "Stop test";
    VoiceLevel => "输入音量", "Input level";
    VoiceHeld => "对方已保持通话", "The other side put the call on hold";
    VoiceKeypad => "拨号键盘", "Keypad";
    VoiceDeviceChanged => "音频设备已变更", "Audio devices changed";
    ReadyCheckTitle => "示闲前请注意:", "Before you go ready:";
    ReadyNoStream => "与网关的事件连接未建立,来电可能收不到", "The event stream is not connected: calls may not reach you";
    ReadyAnyway => "仍然示闲", "Go ready anyway";
    ReadyBlocked => "现在示闲,来电可能无人知晓", "If you go ready now, a call may ring unnoticed";
    Working => "处理中…", "Working…";
    NotPossibleNow => "当前状态下不能这样操作", "That is not possible right now";
    SignOutTitle => "还有通话未结束", "You still have calls";
    SignOutCallsWarn => "现在签出,网关可能结束这些通话,保持中的客户会被挂断:", "If you sign out now, the gateway may end these calls and a customer on hold would be cut off:";
    SignOutKeep => "保留通话,不签出", "Keep my calls";
    SignOutAnyway => "仍然签出", "Sign out anyway";
    Notices => "消息", "Messages";
    TryAgainIn => "请稍后重试,等待", "Try again in";
    ReadFailed => "网关拒绝了查询", "The gateway refused a query";
    GatewayNotAllowed => "链接指定的网关不在本部署的允许列表中,已改用默认网关", "The link names a gateway this deployment does not allow; the default gateway is used";
    TabStalled => "此标签页曾被冻结或降速,已重新读取状态", "This tab was frozen or throttled; the state was re-read";
    PhoneElsewhere => "电话在另一个标签页中", "The phone is in another tab";
    UsePhoneHere => "在这里使用电话", "Use the phone here";
    // Hold list
    HoldList => "保持列表", "Held calls";
    NoHeldCalls => "没有保持的呼叫", "No held calls";
    Connect => "连接", "Connect";
    ConnectHint => "把这个保持的呼叫与当前通话接通,你退出", "Join this held call to your current call and leave";
    DropCall => "挂断此呼叫", "Hang up this call";
    HeldFor => "已保持", "Held for";
    FeatureInbound => "普通呼入", "Inbound call";
    FeatureInternal => "内部呼叫", "Internal call";
    FeatureOutbound => "普通呼出", "Outbound call";
    FeaturePreviewOutbound => "预览外呼", "Preview outbound call";
    FeaturePredictiveOutbound => "预测外呼", "Predictive outbound call";
    FeatureCallback => "回呼", "Callback";
    FeatureConsult => "两方咨询", "Consult call";
    FeatureThreeParty => "三方求助", "Three-party help";
    FeatureConference => "多方会议", "Conference";
    FeatureOther => "其他呼叫", "Other call";
    // Transfer
    Transfer => "转接", "Transfer";
    TransferTitle => "转接当前呼叫", "Transfer this call";
    TransferVoice => "语音呼叫转接", "Voice call transfer";
    TransferMedia => "多媒体会话转接", "Multimedia session transfer";
    TargetType => "转接到", "Transfer to";
    TargetSkillQueue => "技能队列", "Skill queue";
    TargetAgent => "座席", "Agent";
    TargetIvr => "IVR 流程", "IVR flow";
    TargetAccessCode => "系统接入码", "Access code";
    TargetExternal => "外部号码", "External number";
    TransferModeLabel => "转接方式", "How to transfer";
    ModeRelease => "立即转出,我离开通话", "Transfer now and leave the call";
    ModeSuccess => "等对方接听后我再离开", "Stay until the target answers";
    ModeIvrSuspend => "转到 IVR,结束后呼叫回到我这里", "Send to the IVR; the call comes back to me afterwards";
    ModeTalk => "先与对方通话,我挂机后完成转接", "Talk to the target first; hanging up completes the transfer";
    ModeThreeParty => "三方通话:客户、对方和我", "Three-way call: the customer, the target and me";
    Address => "目标", "Target";
    AddressHint => "技能队列、工号或号码,最多 24 个字符", "Skill queue, agent ID or number, at most 24 characters";
    CallData => "随路数据", "Call data";
    SkillForAgent => "技能(仅转座席时)", "Skill (agent targets only)";
    Search => "搜索", "Search";
    Directory => "目录", "Directory";
    SendTransfer => "转接", "Transfer";
    Transferring => "正在转接…", "Transferring…";
    TransferNoAddress => "请选择或输入转接目标", "Choose or type a target";
    TransferAddressTooLong => "目标最多 24 个字符", "A target is at most 24 characters";
    TransferCalldataTooLong => "随路数据超过上限(按 UTF-8 字节计,中文每字 3 字节)", "Call data is over the limit (counted in UTF-8 bytes; a Chinese character is 3)";
    TransferSkillOnlyForAgent => "技能只能用于转座席", "A skill applies only when the target is an agent";
    TransferModeNotAllowed => "这个目标不支持该转接方式", "That target does not allow this transfer mode";
    Bytes => "字节", "bytes";
    AgentIdle => "空闲", "ready";
    AgentBusy => "示忙", "busy";
    AgentTalking => "通话中", "on a call";
    AgentOther => "其他", "other";
    AgentOffline => "未签入", "signed out";
    // Consult
    Consult => "咨询", "Consult";
    ConsultTitle => "咨询另一位座席或技能队列(客户保持)", "Consult another agent or skill queue (the customer waits on hold)";
    StartConsult => "开始咨询", "Start consult";
    Consulting => "咨询中", "Consulting";
    ConsultRinging => "振铃中", "ringing";
    ConsultTalking => "通话中", "talking";
    ConsultDialing => "呼叫中", "calling";
    ConsultEnded => "对方已挂断", "hung up";
    ConsultCancel => "取消咨询,回到客户", "Cancel consult, back to the customer";
    ConsultComplete => "完成转接", "Complete transfer";
    ConsultConference => "三方会议", "Conference all three";
    ConsultFailed => "咨询失败,客户仍在保持中", "The consult failed; the customer is still on hold";
    // Call detail
    CdrOpen => "通话详情", "Call details";
    CdrTitle => "上一通电话", "Last call";
    CdrLoading => "正在获取通话详情…", "Fetching the call details…";
    CdrUnavailable => "通话详情暂不可用", "The call details are not available yet";
    CdrDisposition => "结束原因", "Outcome";
    CdrContactType => "通话类型", "Call type";
    CdrReleasedBy => "挂断方", "Hung up by";
    CdrReleasedByAgent => "坐席", "the agent";
    CdrReleasedByCustomer => "客户", "the customer";
    CdrStart => "开始", "Started";
    CdrEstablished => "接通", "Connected";
    CdrReleased => "结束", "Ended";
    CdrWait => "等待时长", "Waited";
    CdrTalk => "通话时长", "Talked";
    CdrRecording => "录音", "Recording";
    CdrRecordingReady => "已生成", "ready";
    CdrRecordingPending => "未生成", "not ready";
    CdrSatisfaction => "满意度", "Satisfaction";
    CdrTimeline => "时间线", "Timeline";
    CdrOutcomeGroup => "结果", "Outcome";
    CdrPeopleGroup => "通话各方", "People";
    CdrQualityGroup => "质量", "Quality";
    CdrReleaseReason => "释放原因", "Release reason";
    CdrEarlyMedia => "早期媒体", "Early media";
    CdrCaller => "主叫", "Caller";
    CdrCalled => "被叫", "Called";
    CdrAgents => "坐席", "Agents";
    CdrSkillGroups => "技能组", "Skill groups";
    CdrSurvey => "满意度调查", "Satisfaction survey";
    CdrSurveyOffered => "已邀请", "offered";
    CdrSurveyNotOffered => "未邀请", "not offered";
    CdrAnalytics => "智能分析", "Call analytics";
    CdrProblemSolved => "问题已解决", "Problem solved";
    CdrProblemUnsolved => "问题未解决", "Problem not solved";
    CdrProblem => "问题", "Problem";
    CdrSolution => "解决方案", "Solution";
    CdrEmotion => "情绪", "Emotion";
    CdrSatisfactionNote => "满意度分析", "Satisfaction analysis";
    CdrTodo => "待办", "To do";
    CdrIvr => "语音导航", "IVR";
    CdrQueue => "队列", "Queue";
    CdrAgent => "坐席", "Agent";
    CdrCustomer => "客户", "Customer";
    Seconds => "秒", "s";
    DispSuccess => "正常结束", "Completed";
    DispNoAnswer => "未接听", "Not answered";
    DispReject => "拒接", "Rejected";
    DispAbandonedInQueue => "排队中放弃", "Abandoned in the queue";
    DispAbandonedInRing => "振铃中放弃", "Abandoned while ringing";
    DispAbandonedInIvr => "IVR 中放弃", "Abandoned in the IVR";
    DispQueueFailed => "排队失败", "Queueing failed";
    DispVoicemail => "转语音信箱", "Sent to voicemail";
    DispIvrException => "IVR 异常", "IVR error";
    DispTransferred => "已转接", "Transferred";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        for m in Msg::ALL {
            for lang in [Lang::Zh, Lang::En] {
                assert!(!m.text(lang).trim().is_empty(), "{m:?} has no {lang:?} text");
            }
            assert_ne!(m.text(Lang::Zh), m.text(Lang::En), "{m:?} is not translated");
        }
    }

    #[test]
    fn language_from_browser_tag() {
        assert_eq!(Lang::from_tag("zh-CN"), Lang::Zh);
        assert_eq!(Lang::from_tag("zh-TW"), Lang::Zh);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }
}

/// The plain-words name of a CC-Gateway callfeature code (cc-gateway.md §4.5).
pub fn call_feature(code: i64) -> Msg {
    match code {
        0 => Msg::FeatureInbound,
        6 => Msg::FeatureInternal,
        7 | 40 | 41 => Msg::FeatureOutbound,
        43 => Msg::FeaturePredictiveOutbound,
        44 => Msg::FeaturePreviewOutbound,
        45 => Msg::FeatureCallback,
        51 => Msg::FeatureConsult,
        52 => Msg::FeatureThreeParty,
        53 | 99 => Msg::FeatureConference,
        _ => Msg::FeatureOther,
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on: the timers on banners and panels.
pub fn format_elapsed(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod format_tests {
    #[test]
    fn elapsed() {
        assert_eq!(super::format_elapsed(0), "0:00");
        assert_eq!(super::format_elapsed(61_999), "1:01");
        assert_eq!(super::format_elapsed(3_600_000 + 5_000), "1:00:05");
    }
}

# ruff: noqa: E501 (the articles' sentences, as written)
"""Knowledge base articles and the searches that should find them, for the service benchmark.

Articles as a helpdesk writes them: one problem of one product model per article, its title
and its answer in English, Arabic or Persian (half of them in Arabic or Persian). Each search
is drawn from the words of one article, as a customer or an agent types it: the model they
read on the label and two or three words, or a phrase, of the article's title or answer,
without the vowel marks of Arabic script; half of the Persian searches give the model number in
Persian digits, a third are typed on an Arabic keyboard (Arabic yeh and kaf). The search is
expected to find its article among the first five.
"""

import re

# (English, Arabic, Persian) product names.
PRODUCTS = [
    ("Laser Printer", "طابعة ليزر", "چاپگر لیزری"),
    ("Office Lamp", "مصباح مكتب", "چراغ مطالعه"),
    ("Wireless Keyboard", "لوحة مفاتيح لاسلكية", "صفحه کلید بی‌سیم"),
    ("Network Switch", "محول شبكة", "سوئیچ شبکه"),
    ("Label Printer", "طابعة ملصقات", "چاپگر برچسب"),
    ("Industrial Vacuum", "مكنسة صناعية", "جاروبرقی صنعتی"),
    ("LED Panel", "لوحة إضاءة", "پنل ال‌ای‌دی"),
    ("Office Chair", "كرسي مكتب", "صندلی اداری"),
    ("Standing Desk", "مكتب قابل للتعديل", "میز ایستاده"),
    ("Pallet Jack", "رافعة منصات", "جک پالت"),
    ("Coffee Machine", "آلة قهوة", "دستگاه قهوه‌ساز"),
    ("Barcode Scanner", "ماسح الباركود", "بارکدخوان"),
    ("Security Camera", "كاميرا مراقبة", "دوربین مداربسته"),
    ("Air Purifier", "منقي الهواء", "دستگاه تصفیه هوا"),
    ("Smart Thermostat", "منظم حرارة ذكي", "ترموستات هوشمند"),
    ("Paper Shredder", "آلة تمزيق الورق", "کاغذخردکن"),
    ("Projector", "جهاز عرض", "ویدئو پروژکتور"),
    ("Headset", "سماعة رأس", "هدست"),
    ("Monitor", "شاشة عرض", "مانیتور"),
    ("Router", "موجه الإنترنت", "مودم روتر"),
    ("Electric Kettle", "غلاية كهربائية", "کتری برقی"),
    ("Water Dispenser", "موزع المياه", "آب‌سردکن"),
    ("Tablet", "جهاز لوحي", "تبلت"),
    ("Power Bank", "بطارية متنقلة", "پاوربانک"),
    ("Ceiling Fan", "مروحة سقف", "پنکه سقفی"),
]

# Problems: (title, answer) per language; {p} is the product model.
ISSUES = [
    (
        (
            "{p} does not switch on",
            "Check that the power cable is firmly plugged in and the wall socket works. Hold the power "
            "button for ten seconds to reset the {p}. If the indicator light stays dark, the power "
            "supply unit must be replaced under warranty.",
        ),
        (
            "{p} لا يعمل",
            "تأكد من توصيل كابل الكهرباء بإحكام وأن المقبس يعمل. اضغط على زر التشغيل لمدة عشر ثوان "
            "لإعادة ضبط {p}. إذا بقي المؤشر مطفأ فيجب استبدال وحدة الإمداد بالطاقة ضمن الضمان.",
        ),
        (
            "{p} روشن نمی‌شود",
            "مطمئن شوید کابل برق محکم وصل است و پریز کار می‌کند. دکمه روشن را ده ثانیه نگه دارید تا "
            "{p} بازنشانی شود. اگر چراغ نشانگر خاموش ماند، منبع تغذیه باید در دوره گارانتی تعویض شود.",
        ),
    ),
    (
        (
            "Resetting the {p} to factory settings",
            "Open the settings menu, choose maintenance and select factory reset. All saved "
            "preferences of the {p} are erased; write down your network password first.",
        ),
        (
            "إعادة ضبط {p} إلى إعدادات المصنع",
            "افتح قائمة الإعدادات واختر الصيانة ثم إعادة ضبط المصنع. تمحى جميع التفضيلات المحفوظة في "
            "{p}؛ دوّن كلمة مرور الشبكة أولاً.",
        ),
        (
            "بازگردانی {p} به تنظیمات کارخانه",
            "منوی تنظیمات را باز کنید، نگهداری را انتخاب و بازنشانی کارخانه را بزنید. همه ترجیحات "
            "ذخیره‌شده {p} پاک می‌شوند؛ ابتدا رمز شبکه را یادداشت کنید.",
        ),
    ),
    (
        (
            "Warranty claim for a {p}",
            "The {p} carries a two year warranty from the delivery date. Send us the serial number "
            "printed under the base and a photo of the invoice; a courier collects the faulty unit.",
        ),
        (
            "مطالبة الضمان على {p}",
            "يتمتع {p} بضمان لمدة سنتين من تاريخ التسليم. أرسل لنا الرقم التسلسلي المطبوع أسفل "
            "القاعدة وصورة من الفاتورة؛ يستلم المندوب الوحدة المعيبة.",
        ),
        (
            "درخواست گارانتی برای {p}",
            "{p} دو سال گارانتی از تاریخ تحویل دارد. شماره سریال چاپ‌شده زیر پایه و عکس فاکتور را "
            "برای ما بفرستید؛ پیک دستگاه معیوب را تحویل می‌گیرد.",
        ),
    ),
    (
        (
            "{p} makes a loud noise",
            "A rattling or grinding noise usually comes from a loose screw or dust on the fan. Unplug "
            "the {p}, tighten the cover screws and clean the vents with dry compressed air.",
        ),
        (
            "{p} يصدر ضجيجاً عالياً",
            "الصوت المزعج أو الطقطقة يأتي غالباً من برغي مفكوك أو غبار على المروحة. افصل {p} عن "
            "الكهرباء وشد براغي الغطاء ونظف فتحات التهوية بالهواء المضغوط.",
        ),
        (
            "{p} صدای بلند می‌دهد",
            "صدای تق‌تق یا سایش معمولاً از پیچ شل یا گردوغبار روی فن است. دوشاخه {p} را بکشید، "
            "پیچ‌های قاب را سفت کنید و دریچه‌ها را با هوای فشرده تمیز کنید.",
        ),
    ),
    (
        (
            "Connecting the {p} to Wi-Fi",
            "Press the pairing button until the blue light blinks, then pick the {p} in the mobile "
            "app and enter your wireless network password. Only 2.4 GHz networks are supported.",
        ),
        (
            "توصيل {p} بشبكة الواي فاي",
            "اضغط زر الاقتران حتى يومض الضوء الأزرق، ثم اختر {p} في تطبيق الجوال وأدخل كلمة مرور "
            "الشبكة اللاسلكية. الشبكات بتردد 2.4 غيغاهرتز فقط مدعومة.",
        ),
        (
            "اتصال {p} به وای‌فای",
            "دکمه جفت‌سازی را بزنید تا چراغ آبی چشمک بزند، سپس {p} را در اپلیکیشن موبایل انتخاب و "
            "رمز شبکه بی‌سیم را وارد کنید. فقط شبکه‌های ۲٫۴ گیگاهرتز پشتیبانی می‌شوند.",
        ),
    ),
    (
        (
            "{p} arrived damaged",
            "Photograph the packaging and the damaged {p} before unpacking further, and report it "
            "within seven days of delivery. We send a replacement at no cost and collect the damaged one.",
        ),
        (
            "وصل {p} تالفاً",
            "صوّر التغليف و{p} التالف قبل متابعة فتح العبوة، وأبلغ عنه خلال سبعة أيام من التسليم. "
            "نرسل بديلاً مجاناً ونستلم القطعة التالفة.",
        ),
        (
            "{p} آسیب‌دیده رسید",
            "پیش از باز کردن کامل، از بسته‌بندی و {p} آسیب‌دیده عکس بگیرید و ظرف هفت روز از تحویل "
            "اطلاع دهید. جایگزین رایگان می‌فرستیم و کالای آسیب‌دیده را پس می‌گیریم.",
        ),
    ),
    (
        (
            "Returning a {p} for a refund",
            "Unused items can be returned within thirty days. Request a return label from your "
            "customer portal, pack the {p} in its original box; the refund reaches your card in five "
            "working days.",
        ),
        (
            "إرجاع {p} واسترداد المبلغ",
            "يمكن إرجاع المنتجات غير المستخدمة خلال ثلاثين يوماً. اطلب ملصق الإرجاع من بوابة العملاء "
            "وضع {p} في علبته الأصلية؛ يصل المبلغ المسترد إلى بطاقتك خلال خمسة أيام عمل.",
        ),
        (
            "مرجوع کردن {p} و بازپرداخت وجه",
            "کالای استفاده‌نشده تا سی روز مرجوع می‌شود. برچسب مرجوعی را از پرتال مشتریان بگیرید و "
            "{p} را در جعبه اصلی بگذارید؛ وجه ظرف پنج روز کاری به کارت شما برمی‌گردد.",
        ),
    ),
    (
        (
            "{p} overheats after an hour",
            "Keep ten centimetres of free space around the {p} and do not cover the ventilation "
            "slots. If it still gets hot, update the firmware: the new version lowers the fan "
            "threshold.",
        ),
        (
            "{p} يسخن بشدة بعد ساعة",
            "اترك عشرة سنتيمترات من المساحة الحرة حول {p} ولا تغطِّ فتحات التهوية. إذا استمرت "
            "السخونة فحدّث البرنامج الثابت: الإصدار الجديد يخفض عتبة تشغيل المروحة.",
        ),
        (
            "{p} بعد از یک ساعت داغ می‌کند",
            "ده سانتیمتر فضای آزاد دور {p} بگذارید و شیارهای تهویه را نپوشانید. اگر باز هم داغ شد، "
            "سفت‌افزار را به‌روز کنید: نسخه جدید آستانه فن را پایین می‌آورد.",
        ),
    ),
    (
        (
            "Updating the firmware of the {p}",
            "Download the latest firmware from the support page, copy it to a USB stick and insert "
            "it while the {p} is off. Switch it on holding the menu key; the update takes three "
            "minutes.",
        ),
        (
            "تحديث البرنامج الثابت لـ {p}",
            "نزّل أحدث برنامج ثابت من صفحة الدعم وانسخه إلى ذاكرة فلاش وأدخلها و{p} مطفأ. شغّله مع "
            "الضغط على زر القائمة؛ يستغرق التحديث ثلاث دقائق.",
        ),
        (
            "به‌روزرسانی سفت‌افزار {p}",
            "آخرین سفت‌افزار را از صفحه پشتیبانی دانلود کنید، روی فلش کپی کنید و وقتی {p} خاموش است "
            "وصل کنید. با نگه داشتن کلید منو روشنش کنید؛ به‌روزرسانی سه دقیقه طول می‌کشد.",
        ),
    ),
    (
        (
            "Ordering spare parts for the {p}",
            "Filters, cables, batteries and covers of the {p} are sold separately. Quote the model "
            "and the part number from the user manual; spare parts ship within two days.",
        ),
        (
            "طلب قطع غيار لـ {p}",
            "تباع المرشحات والكابلات والبطاريات والأغطية الخاصة بـ {p} بشكل منفصل. اذكر الطراز ورقم "
            "القطعة من دليل المستخدم؛ تشحن قطع الغيار خلال يومين.",
        ),
        (
            "سفارش قطعات یدکی {p}",
            "فیلتر، کابل، باتری و قاب {p} جداگانه فروخته می‌شوند. مدل و شماره قطعه را از دفترچه "
            "راهنما بگویید؛ قطعات یدکی ظرف دو روز ارسال می‌شوند.",
        ),
    ),
    (
        (
            "{p} delivery is late",
            "Track the shipment with the tracking code in your confirmation e-mail. Deliveries of "
            "the {p} leave our warehouse within three days; if the carrier shows no movement for "
            "five days, we resend it.",
        ),
        (
            "تأخر توصيل {p}",
            "تتبع الشحنة برمز التتبع الموجود في بريد التأكيد. تغادر شحنات {p} مستودعنا خلال ثلاثة "
            "أيام؛ إذا لم تتحرك الشحنة لدى الناقل خمسة أيام نعيد إرسالها.",
        ),
        (
            "ارسال {p} دیر شده است",
            "مرسوله را با کد رهگیری در ایمیل تأیید پیگیری کنید. {p} ظرف سه روز از انبار ما خارج "
            "می‌شود؛ اگر پنج روز جابجایی در سامانه باربری نبود، دوباره می‌فرستیم.",
        ),
    ),
    (
        (
            "Cleaning and maintenance of the {p}",
            "Wipe the {p} with a soft damp cloth, never with solvents. Replace the filter every six "
            "months and check the seals once a year to keep the guarantee valid.",
        ),
        (
            "تنظيف وصيانة {p}",
            "امسح {p} بقطعة قماش ناعمة مبللة ولا تستخدم المذيبات. استبدل المرشح كل ستة أشهر وافحص "
            "الحشوات مرة في السنة للحفاظ على صلاحية الكفالة.",
        ),
        (
            "تمیزکاری و نگهداری {p}",
            "{p} را با دستمال نرم و نمناک پاک کنید و هرگز از حلّال استفاده نکنید. فیلتر را هر شش ماه "
            "عوض کنید و واشرها را سالی یک بار بازدید کنید تا ضمانت معتبر بماند.",
        ),
    ),
    (
        (
            "{p} shows error code E4",
            "Error E4 means a sensor reading out of range. Switch the {p} off, wait one minute and "
            "switch it on again; if E4 returns, book a technician visit from the portal.",
        ),
        (
            "{p} يعرض رمز الخطأ E4",
            "الخطأ E4 يعني قراءة حساس خارج النطاق. أطفئ {p} وانتظر دقيقة ثم شغّله مجدداً؛ إذا عاد "
            "الخطأ فاحجز زيارة فني من البوابة.",
        ),
        (
            "{p} خطای E4 نشان می‌دهد",
            "خطای E4 یعنی خوانش حسگر خارج از محدوده است. {p} را خاموش کنید، یک دقیقه صبر کنید و "
            "دوباره روشن کنید؛ اگر E4 برگشت، از پرتال وقت بازدید تکنسین بگیرید.",
        ),
    ),
    (
        (
            "Installing the {p}",
            "The box contains the mounting bracket, four screws and wall plugs. Fix the bracket at "
            "eye level, hang the {p} and connect it; our installers can do it for a fixed fee.",
        ),
        (
            "تركيب {p}",
            "تحتوي العلبة على حامل التثبيت وأربعة براغي ومسامير الجدار. ثبّت الحامل بمستوى النظر "
            "وعلّق {p} ثم وصّله؛ يمكن لفنيينا تركيبه مقابل رسم ثابت.",
        ),
        (
            "نصب {p}",
            "داخل جعبه براکت نصب، چهار پیچ و رول‌پلاک هست. براکت را هم‌تراز چشم ببندید، {p} را آویزان "
            "و وصل کنید؛ نصاب‌های ما با هزینه ثابت نصب می‌کنند.",
        ),
    ),
    (
        (
            "Paying the invoice of a {p}",
            "Invoices are payable by bank transfer or card within thirty days. The invoice of the "
            "{p} shows the tax, the payment terms and our bank details below the lines.",
        ),
        (
            "دفع فاتورة {p}",
            "تدفع الفواتير بالتحويل المصرفي أو البطاقة خلال ثلاثين يوماً. تظهر فاتورة {p} الضريبة "
            "وشروط الدفع وبياناتنا المصرفية أسفل البنود.",
        ),
        (
            "پرداخت فاکتور {p}",
            "فاکتورها با حواله بانکی یا کارت ظرف سی روز پرداخت می‌شوند. در فاکتور {p} مالیات، شرایط "
            "پرداخت و مشخصات بانکی ما زیر ردیف‌ها آمده است.",
        ),
    ),
    (
        (
            "{p} battery drains quickly",
            "Lower the screen brightness and switch off Bluetooth when unused. A new battery of the "
            "{p} holds a full day; after five hundred charge cycles it should be replaced.",
        ),
        (
            "بطارية {p} تنفد بسرعة",
            "خفّض سطوع الشاشة وأطفئ البلوتوث عند عدم الاستخدام. تدوم البطارية الجديدة لـ {p} يوماً "
            "كاملاً؛ وبعد خمسمئة دورة شحن يجب استبدالها.",
        ),
        (
            "باتری {p} زود خالی می‌شود",
            "نور صفحه را کم کنید و بلوتوث را وقتی لازم نیست خاموش کنید. باتری نو {p} یک روز کامل "
            "دوام دارد؛ پس از پانصد بار شارژ باید تعویض شود.",
        ),
    ),
    (
        (
            "Changing the delivery address of a {p} order",
            "Until the {p} has been shipped, you can change the address from your order on the "
            "portal. Once shipped, ask the carrier to redirect the parcel with the tracking code.",
        ),
        (
            "تغيير عنوان التوصيل لطلب {p}",
            "حتى شحن {p} يمكنك تغيير العنوان من طلبك في البوابة. بعد الشحن اطلب من شركة النقل "
            "تحويل الطرد باستخدام رمز التتبع.",
        ),
        (
            "تغییر نشانی تحویل سفارش {p}",
            "تا پیش از ارسال {p} می‌توانید نشانی را از سفارش خود در پرتال عوض کنید. پس از ارسال، با "
            "کد رهگیری از شرکت حمل بخواهید بسته را به نشانی جدید بفرستد.",
        ),
    ),
]

LANGS = ("en_US", "ar_001", "fa_IR")
# Words as a search box splits them: numbers like 2.4 and words like Wi-Fi whole, the
# vowel marks of Arabic script inside the word.
WORD = re.compile(r"[\w\u064b-\u0652\u0670]+(?:[.\-][\w\u064b-\u0652\u0670]+)*")
# What customers rarely type: the short vowels, shadda and sukun of Arabic script.
VOWEL_MARKS = dict.fromkeys(range(0x064B, 0x0653)) | {0x0670: None}
ARABIC_KEYBOARD = str.maketrans("یک", "يك")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def lang_of(n):
    """Half of the articles in English, a quarter each in Arabic and Persian."""
    return ("en_US", "en_US", "ar_001", "fa_IR")[n % 4]


def articles(count):
    """``count`` articles as (title, body html, lang, model) tuples: each language's
    articles are distinct (problem, product, model number) combinations."""
    seen = dict.fromkeys(LANGS, 0)
    result = []
    for n in range(count):
        lang = lang_of(n)
        column = LANGS.index(lang)
        k = seen[lang]
        seen[lang] += 1
        issue = ISSUES[k % len(ISSUES)]
        product = PRODUCTS[(k // len(ISSUES)) % len(PRODUCTS)]
        number = 100 + k // (len(ISSUES) * len(PRODUCTS))
        model = f"{product[column]} {number}"
        title, body = (text.replace("{p}", model) for text in issue[column])
        result.append((title, f"<p>{body}</p>", lang, model))
    return result


def query(rng, article):
    """A search drawn from ``article``: its model and two or three words of its title or
    answer, or a phrase of two or three words of its answer; typed without the vowel marks of
    Arabic script, half of the Persian ones with Persian digits, a third with Arabic letters."""
    title, body, lang, model = article
    model_words = WORD.findall(model)
    text_words = [
        w for w in WORD.findall(f"{title} {body[3:-4]}") if len(w) > 3 and w not in model_words
    ]
    if rng.random() < 0.5:
        words = rng.sample(text_words, min(len(text_words), rng.randint(2, 3)))
    else:
        answer = [w for w in WORD.findall(body[3:-4]) if w not in model_words]
        start = rng.randrange(max(1, len(answer) - 3))
        words = answer[start : start + rng.randint(2, 3)]
    words = [*model_words, *words]
    text = " ".join(dict.fromkeys(words))
    text = text.translate(VOWEL_MARKS)
    if lang == "fa_IR":
        # On a Persian keyboard the model number comes in Persian digits; on an Arabic one,
        # yeh and kaf are the Arabic letters.
        if rng.random() < 1 / 2:
            text = text.translate(PERSIAN_DIGITS)
        if rng.random() < 1 / 3:
            text = text.translate(ARABIC_KEYBOARD)
    return text
